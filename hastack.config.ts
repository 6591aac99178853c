// The stack `npm start` (hastack up) brings up: the reference guestbook app.
export { default } from './examples/guestbook/hastack.config.ts';
