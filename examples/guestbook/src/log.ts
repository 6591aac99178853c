/**
 * The twin (and systemd on EC2) captures stdout and stderr per instance, so the app writes only
 * what an operator needs: startup, shutdown and problems. No line per request.
 */
const stamp = () => new Date().toISOString();

export const log = {
  info: (msg: string): void => {
    process.stdout.write(`${stamp()} guestbook: ${msg}\n`);
  },
  warn: (msg: string): void => {
    process.stderr.write(`${stamp()} guestbook: ${msg}\n`);
  },
};
