import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { TenantryConfig } from '../domain/config';
import type { SiloTemplateBuild } from '../infra/silo-stack';
import { REPO_ROOT } from './handler-host';

/**
 * What `cdk deploy` does for SiloServiceCodeStack, on moto: the silo documents bundle, zipped, in
 * the asset bucket of every region of `regions.siloAllowed`, so moto's CloudFormation can create a
 * silo's function (moto's Lambda reads the code object; it runs nothing — the handler host does).
 * Zipped with the project venv's Python (the local environment's own prerequisite).
 */
export async function publishSiloServiceCode(
  s3: S3Client,
  config: TenantryConfig,
  accountId: string,
  serviceCode: SiloTemplateBuild['serviceCode'],
): Promise<void> {
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
  }
}
