/**
 * The app instances' role, least privilege: Session Manager instead of SSH, read the database
 * secret, read the app bundle (that one object), read and write objects of the app's buckets, write
 * the app's log group and the CloudWatch agent's metrics, and complete its group's launch hook.
 * Wildcards that remain (object keys of a bucket, the APIs without resource-level permissions, the
 * group's ARN) are acknowledged one by one, each with why.
 */
import { ArnFormat, Aws, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import { HastackError } from '../../errors.ts';
import type { ResolvedSpec } from '../../spec/types.ts';
import { AGENT_NAMESPACE } from './cloudwatch-agent.ts';

export interface InstanceRoleProps {
  readonly spec: ResolvedSpec;
  /** The database secret the start script reads. */
  readonly secret: secretsmanager.ISecret;
  /** The app's buckets by spec name. */
  readonly buckets: ReadonlyMap<string, s3.IBucket>;
  /** The app bundle: one object in the asset bucket. */
  readonly bundle: { readonly bucket: s3.IBucket; readonly key: string };
  /** Where the CloudWatch agent writes the app's logs. */
  readonly logGroup: logs.ILogGroup;
}

/** One statement and, when a resource of it has a wildcard, why that is as narrow as it gets. */
interface Grant {
  readonly statement: iam.PolicyStatement;
  readonly wildcardReason?: string;
}

const SSM_CORE = 'AmazonSSMManagedInstanceCore';

/** The role and its policy (the instance profile is made by the launch template). */
export class InstanceRole extends Construct {
  readonly role: iam.Role;
  /** Everything but the secret (which the secret grants itself, with its key if it has one). */
  readonly policy: iam.Policy;
  /** Why each statement (by Sid) has a wildcard resource. */
  private readonly wildcardReasons = new Map<string, string>();

  constructor(scope: Construct, id: string, props: InstanceRoleProps) {
    super(scope, id);
    const { spec } = props;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `${spec.name}: app instances`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(SSM_CORE)],
    });
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${SSM_CORE}]`,
      reason: 'Session Manager replaces SSH (no key pair, no port 22); AWS keeps this policy to what the SSM agent needs',
    });
    props.secret.grantRead(this.role);

    const grants = this.grants(props);
    this.policy = new iam.Policy(this, 'Policy', { roles: [this.role], statements: grants.map((g) => g.statement) });
    for (const g of grants) this.noteWildcard(g);
    this.acknowledgeWildcards();
  }

  /**
   * Lets the instances complete `group`'s lifecycle actions (its launch hook), and that group's
   * only. The statement does not refer to the group: the group launches instances that need it, so
   * the group must come after this policy (the group's construct depends on this one). Instead it
   * names the group by the tags CloudFormation puts on it, its stack's id and its logical id.
   */
  allowLifecycleActions(group: autoscaling.AutoScalingGroup): void {
    const stack = Stack.of(group);
    // AWS::StackId below is the policy's stack; it names the group's only when they are the same.
    if (stack !== Stack.of(this)) throw new HastackError('HASTACK_INTERNAL', 'internal', `compute: the group ${group.node.path} and the instance role ${this.node.path} must be in one stack`);
    const grant: Grant = {
      statement: new iam.PolicyStatement({
        sid: 'CompleteLaunchHook',
        actions: ['autoscaling:CompleteLifecycleAction'],
        resources: [stack.formatArn({ service: 'autoscaling', resource: 'autoScalingGroup', resourceName: '*:autoScalingGroupName/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        conditions: {
          StringEquals: {
            'autoscaling:ResourceTag/aws:cloudformation:stack-id': Aws.STACK_ID,
            'autoscaling:ResourceTag/aws:cloudformation:logical-id': stack.getLogicalId(group.node.defaultChild as CfnElement),
          },
        },
      }),
      wildcardReason:
        "an Auto Scaling group's ARN holds an id AWS assigns when it creates the group, and naming the group would make this policy come after the group whose first instances need it; the condition keeps it to the one group CloudFormation made in this stack (its aws:cloudformation stack-id and logical-id tags)",
    };
    this.policy.addStatements(grant.statement);
    this.noteWildcard(grant);
  }

  private noteWildcard(g: Grant): void {
    if (g.wildcardReason !== undefined && g.statement.sid !== undefined) this.wildcardReasons.set(g.statement.sid, g.wildcardReason);
  }

  private grants(props: InstanceRoleProps): Grant[] {
    const out: Grant[] = [
      {
        statement: new iam.PolicyStatement({ sid: 'ReadAppBundle', actions: ['s3:GetObject'], resources: [props.bundle.bucket.arnForObjects(props.bundle.key)] }),
      },
    ];
    for (const b of props.spec.storage.buckets) {
      const bucket = props.buckets.get(b.name);
      if (bucket === undefined) throw new HastackError('HASTACK_INTERNAL', 'internal', `compute: no bucket was made for storage.buckets entry ${JSON.stringify(b.name)}`);
      const sid = b.name
        .split(/[.-]/)
        .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
        .join('');
      out.push({ statement: new iam.PolicyStatement({ sid: `List${sid}`, actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }) });
      out.push({
        // No s3:*Version actions: the app cannot read old versions back or delete them for good.
        statement: new iam.PolicyStatement({
          sid: `ObjectsOf${sid}`,
          actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
          resources: [bucket.arnForObjects('*')],
        }),
        wildcardReason: `the app reads and writes objects under keys it chooses in its bucket ${b.name} (${b.envName}); the bucket itself is named exactly`,
      });
      if (bucket.encryptionKey !== undefined) {
        out.push({
          statement: new iam.PolicyStatement({ sid: `KeyOf${sid}`, actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [bucket.encryptionKey.keyArn] }),
        });
      }
    }
    out.push(
      {
        // The log group's ARN attribute ends in :* and so covers its streams.
        statement: new iam.PolicyStatement({
          sid: 'WriteAppLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [props.logGroup.logGroupArn],
        }),
      },
      {
        statement: new iam.PolicyStatement({
          sid: 'PutAgentMetrics',
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringEquals: { 'cloudwatch:namespace': AGENT_NAMESPACE } },
        }),
        wildcardReason: `cloudwatch:PutMetricData has no resource-level permissions; the condition keeps it to the ${AGENT_NAMESPACE} namespace`,
      },
      {
        statement: new iam.PolicyStatement({ sid: 'ReadInstanceTags', actions: ['ec2:DescribeTags'], resources: ['*'] }),
        wildcardReason: 'ec2:DescribeTags has no resource-level permissions; the CloudWatch agent reads the instance\'s Auto Scaling group name with it',
      },
    );
    return out;
  }

  /**
   * cdk-nag names a wildcard finding by the resource as the final template spells it, and a
   * bucket of another stack is spelt through an export known only once references are resolved;
   * so the findings are acknowledged then (at validation, before the template is written).
   * A wildcard nobody gave a reason for stays a finding.
   */
  private acknowledgeWildcards(): void {
    const reasons = this.wildcardReasons;
    let done = false;
    const policy = this.policy;
    policy.node.addValidation({
      validate: () => {
        if (done) return [];
        done = true;
        const stack = Stack.of(policy);
        const cfn = policy.node.defaultChild as CfnElement & { policyDocument: unknown };
        const doc = stack.resolve(cfn.policyDocument) as { Statement?: { Sid?: string; Resource?: unknown }[] };
        const byFinding = new Map<string, string[]>();
        for (const s of doc.Statement ?? []) {
          const reason = s.Sid === undefined ? undefined : reasons.get(s.Sid);
          if (reason === undefined) continue;
          for (const r of Array.isArray(s.Resource) ? s.Resource : [s.Resource]) {
            const flat = flattenCfnReference(r);
            if (!flat.includes('*')) continue;
            const id = `AwsSolutions-IAM5[Resource::${flat}]`;
            byFinding.set(id, [...(byFinding.get(id) ?? []), reason]);
          }
        }
        for (const [id, why] of byFinding) Validations.of(policy).acknowledge({ id, reason: why.join('; ') });
        return [];
      },
    });
  }
}
