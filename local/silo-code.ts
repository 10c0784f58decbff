import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { TenantryConfig } from '../domain/config';
import { SILO_TEMPLATE_OBJECT_KEY } from '../domain/lifecycle/silo';
import type { SiloTemplateBuild } from '../infra/silo-stack';
import { REPO_ROOT } from './handler-host';

/**
 * What `cdk deploy` does for SiloServiceCodeStack, on moto: the silo documents bundle, zipped, and the
 * silo template in the silo artifacts bucket of every region of `regions.siloAllowed`, so moto's
 * CloudFormation can create a silo's function (moto's Lambda reads the code object; it runs nothing —
 * the handler host does), also from a tenant's own account (moto reads another account's bucket; on
 * AWS its bucket policy admits the organization's tenant accounts). Zipped with the project venv's
 * Python (the local environment's own prerequisite). Returns the template's URL in the primary
 * region's bucket, as moto's CloudFormation reads it (path style on `localhost`).
 */
export async function publishSiloServiceCode(
  s3: S3Client,
  config: TenantryConfig,
  accountId: string,
  build: Pick<SiloTemplateBuild, 'serviceCode' | 'template'>,
  endpoint: string,
): Promise<string> {
  const { serviceCode } = build;
  const base = join(mkdtempSync(join(tmpdir(), 'tenantry-silo-code-')), 'code');
  execFileSync(join(REPO_ROOT, '.venv', 'bin', 'python'), [
    '-c',
    'import shutil, sys; shutil.make_archive(sys.argv[1], "zip", root_dir=sys.argv[2])',
    base,
    serviceCode.directory,
  ]);
  const body = readFileSync(`${base}.zip`);
  for (const region of config.regions.siloAllowed) {
    const bucket = serviceCode.bucketIn(accountId, region);
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      if (!(error instanceof Error && /BucketAlready(OwnedByYou|Exists)/.test(error.name))) throw error;
    }
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: serviceCode.objectKey, Body: body }));
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: SILO_TEMPLATE_OBJECT_KEY,
        Body: JSON.stringify(build.template),
        ContentType: 'application/json',
      }),
    );
  }
  const primary = serviceCode.bucketIn(accountId, config.regions.primary);
  return `${endpoint.replace('127.0.0.1', 'localhost')}/${primary}/${SILO_TEMPLATE_OBJECT_KEY}`;
}
