import { errorFactory, type ErrorDefinition } from '../../errors.ts';

export const RDS_ERRORS = {
  HASTACK_RDS_NO_PRIMARY: {
    source: 'user',
    summary: 'The operation needs a running primary, and there is none right now (a failover is in progress or the primary is down); `hastack status` shows why. Retry once it is back.',
  },
  HASTACK_RDS_BACKUPS_OFF: {
    source: 'user',
    summary: 'Automated backups are off (database.backupRetentionDays is 0), so there is no transaction log to restore from; set a retention of 1–35 days.',
  },
  HASTACK_RDS_NO_STANDBY: {
    source: 'user',
    summary: 'A failover was asked of a deployment without a standby (single-az), or no standby is in sync yet; `hastack status` shows the standbys.',
  },
  HASTACK_RDS_FAILOVER_IN_PROGRESS: {
    source: 'user',
    summary: 'A failover is already in progress; wait for it to finish (`hastack status`).',
  },
  HASTACK_RDS_INVALID_NAME: {
    source: 'user',
    summary: 'A restored database name must be 1–63 lowercase letters, digits or hyphens, starting with a letter, and not already in use.',
  },
} as const satisfies Record<string, ErrorDefinition>;

export type RdsErrorCode = keyof typeof RDS_ERRORS;

export const rdsError = errorFactory(RDS_ERRORS);
