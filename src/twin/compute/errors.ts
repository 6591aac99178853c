import { errorFactory, type ErrorDefinition } from '../../errors.ts';

export const ASG_ERRORS = {
  HASTACK_ASG_DESIRED_OUT_OF_RANGE: {
    source: 'user',
    summary: 'A desired capacity outside the group\'s min..max was asked for; pick a number in range or change capacity in the config.',
  },
  HASTACK_ASG_UNKNOWN_ZONE: {
    source: 'user',
    summary: 'A zone name that is not one of the region\'s zones was given (e.g. local-1b).',
  },
  HASTACK_ASG_UNKNOWN_INSTANCE: {
    source: 'user',
    summary: 'No instance with that id is in the group; `hastack status` lists them.',
  },
} as const satisfies Record<string, ErrorDefinition>;

export const asgError = errorFactory(ASG_ERRORS);
