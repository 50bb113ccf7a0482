import { z } from 'zod';
import type {
  OrganizationRecord,
  WorkspaceRecord,
} from '../../core/workspaces/workspaces-store.js';

/** An organization and a workspace as the API shows them (shared/API.md, "Platform and tenancy"). */
export const organizationSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
});
export const workspaceSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  name: z.string(),
  createdAt: z.string(),
});

export const presentOrganization = (o: OrganizationRecord): z.infer<typeof organizationSchema> => ({
  id: o.id,
  name: o.name,
  createdAt: o.createdAt.toISOString(),
});

export const presentWorkspace = (w: WorkspaceRecord): z.infer<typeof workspaceSchema> => ({
  id: w.id,
  organizationId: w.organizationId,
  name: w.name,
  createdAt: w.createdAt.toISOString(),
});
