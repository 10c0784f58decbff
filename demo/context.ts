import type { CatalogRepository } from '../domain/catalog/repository';
import type { IsolationModel, TenantryConfig } from '../domain/config';
import type { LocalControlPlane } from '../local/control-plane';
import type { LocalAws } from '../local/env';

/** A tenant the demo registered, one per tier. */
export interface DemoTenant {
  readonly tenantId: string;
  readonly name: string;
  readonly tier: string;
  readonly isolation: IsolationModel;
}

/** What every demo step receives from `demo/main.ts`. */
export interface DemoContext {
  readonly config: TenantryConfig;
  /** Prints one line of the story. */
  readonly log: (line: string) => void;
  readonly aws: LocalAws;
  readonly controlPlane: LocalControlPlane;
  readonly catalog: CatalogRepository;
  readonly tenants: readonly DemoTenant[];
  /** Folder for files the demo writes (reports, charts): `.local/demo/`. */
  readonly outDir: string;
}
