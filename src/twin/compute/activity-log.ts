/** A scaling activity, shaped like the entries of AWS's DescribeScalingActivities. */
export interface ScalingActivity {
  readonly activityId: string;
  readonly description: string;
  /** The sentence saying why, as AWS's `Cause`. */
  readonly cause: string;
  readonly startTime: number;
  readonly endTime?: number;
  readonly status: 'InProgress' | 'Successful' | 'Failed';
  readonly instanceId?: string;
  readonly zone?: string;
  readonly details?: string;
}

/** Newest first, bounded: the oldest entries fall off. */
export class ActivityLog {
  private readonly items: ScalingActivity[] = [];
  private seq = 0;

  constructor(private readonly capacity: number) {}

  record(a: Omit<ScalingActivity, 'activityId'>): ScalingActivity {
    const entry: ScalingActivity = { activityId: `act-${(++this.seq).toString().padStart(6, '0')}`, ...a };
    this.items.unshift(entry);
    if (this.items.length > this.capacity) this.items.length = this.capacity;
    return entry;
  }

  list(): readonly ScalingActivity[] {
    return this.items;
  }
}
