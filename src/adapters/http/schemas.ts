import { z } from 'zod';

/** Shared pieces of the API's request and reply schemas (shared/API.md). */
export const id = z.string().min(1).max(100);
export const email = z
  .email()
  .max(254)
  .transform((e) => e.toLowerCase());
export const personName = z.string().trim().min(1).max(200);

export const errorReply = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

export const organization = z.object({ id: z.string(), name: z.string(), createdAt: z.string() });
export const workspace = z.object({
  id: z.string(),
  organizationId: z.string(),
  name: z.string(),
  createdAt: z.string(),
});
export const user = z.object({ id: z.string(), email: z.string(), name: z.string() });

export const wsParams = z.object({ ws: id });

export const iso = (d: Date) => d.toISOString();

export const workspaceReply = (w: {
  id: string;
  organization_id: string;
  name: string;
  created_at: Date;
}) => ({
  id: w.id,
  organizationId: w.organization_id,
  name: w.name,
  createdAt: iso(w.created_at),
});
