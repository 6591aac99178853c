import { errorFactory, type ErrorDefinition } from '../errors.ts';

export const AWS_ERRORS = {
  HASTACK_AWS_SPEC_INVALID: {
    source: 'user',
    summary: 'The spec breaks a rule that only matters on AWS (zones of the region, a hosted zone for the domain, at least two instances); every problem is listed with its field path.',
  },
  HASTACK_AWS_NAG_FINDINGS: {
    source: 'user',
    summary: 'cdk-nag\'s AwsSolutions pack found unacknowledged problems in the synthesized templates; the report next to the templates lists each rule and resource.',
  },
  HASTACK_AWS_NO_CREDENTIALS: {
    source: 'user',
    summary: 'diff, deploy or destroy found no AWS credentials; configure a profile (`aws configure`, `AWS_PROFILE`) or environment variables and try again.',
  },
  HASTACK_AWS_NOT_BOOTSTRAPPED: {
    source: 'user',
    summary: 'The account and region have no CDK bootstrap stack; run `npx cdk bootstrap aws://<account>/<region>` once, then deploy again.',
  },
  HASTACK_AWS_TOOLKIT_FAILED: {
    source: 'user',
    summary: 'The CDK toolkit failed to diff, deploy or destroy; the message carries CloudFormation\'s reason.',
  },
  HASTACK_AWS_BUNDLE_FAILED: {
    source: 'user',
    summary: 'The app bundle could not be made (the app folder is missing or the build step failed); the message names the folder or command.',
  },
} as const satisfies Record<string, ErrorDefinition>;

export const awsError = errorFactory(AWS_ERRORS);
