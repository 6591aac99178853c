/**
 * The stack's alarm topic: every CloudWatch alarm and every Auto Scaling notification goes here.
 * Encrypted with a customer-managed KMS key (rotated yearly) whose policy lets CloudWatch and the
 * Auto Scaling service-linked role publish; TLS-only; an email subscription when
 * spec.alarms.email is set.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { ResolvedSpec } from '../../spec/types.ts';

export interface HaAlarmTopicProps {
  readonly spec: ResolvedSpec;
}

/** The SNS topic every alarm and scaling notification goes to: KMS-encrypted, TLS-only, email from spec.alarms.email. */
export class HaAlarmTopic extends Construct {
  readonly topic: sns.Topic;
  /** The customer-managed key the topic's messages are encrypted with. */
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: HaAlarmTopicProps) {
    super(scope, id);
    const { spec } = props;
    const stack = Stack.of(this);

    this.key = new kms.Key(this, 'Key', {
      description: `${spec.name}: encrypts the alarm topic's messages`,
      enableKeyRotation: true,
    });
    // CloudWatch publishes alarm notifications as itself.
    // @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    // Auto Scaling publishes through its service-linked role. The role exists only once a group
    // has been made in the account, and a key policy naming a role that does not exist yet is
    // refused, so the statement matches the caller's ARN instead of naming the role.
    // @see https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-sns-notifications.html
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AutoScalingNotificationsPublish',
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          ArnEquals: {
            'aws:PrincipalArn': `arn:${stack.partition}:iam::${stack.account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
          },
        },
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `${spec.name} alarms`,
      masterKey: this.key,
      enforceSSL: true,
      signatureVersion: '2',
    });
    // A topic policy replaces SNS's default one, so CloudWatch's right to publish is stated here,
    // limited to this account's alarms.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    if (spec.alarms.email !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(spec.alarms.email));
    }
  }
}
