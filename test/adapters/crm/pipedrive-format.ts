import { expect } from 'vitest';
import { pipedrivePanelSchema } from '../../../src/adapters/crm/pipedrive-panel.js';

/**
 * What Pipedrive checks of a JSON panel's answer before it shows it ("Adding a JSON panel",
 * https://pipedrive.readme.io/docs/json-panels-adding-a-panel): `{data: [...]}`, at most ten
 * objects, each a numerical `id` and a `header` plus at most twenty fields, only fields the
 * uploaded schema defines (`additionalProperties` is false), each of its type — else the user
 * sees "Something went wrong…". Written from the docs, not from the presenter.
 */
const fieldTypes: Record<string, string> = Object.fromEntries(
  Object.entries(pipedrivePanelSchema.items.properties).map(([key, def]) => [
    key,
    def.$ref.replace('#/definitions/', ''),
  ]),
);
const colors = ['green', 'red', 'blue', 'yellow', 'purple', 'grey'];
const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function expectPipedrivePanel(body: unknown): Array<Record<string, unknown>> {
  expect(body).toEqual({ data: expect.any(Array) });
  const data = (body as { data: Array<Record<string, unknown>> }).data;
  expect(data.length).toBeLessThanOrEqual(10);
  for (const object of data) {
    expect(typeof object.id).toBe('number');
    expect(typeof object.header).toBe('string');
    const fields = Object.keys(object).filter((k) => k !== 'header');
    expect(fields.length).toBeLessThanOrEqual(20 + 1); // + id
    for (const [key, value] of Object.entries(object)) {
      const type = fieldTypes[key];
      expect(type, `field ${key} is not in the uploaded schema`).toBeDefined();
      if (value === null) continue;
      switch (type) {
        case 'numerical':
          expect(typeof value).toBe('number');
          break;
        case 'header':
          expect(typeof value).toBe('string');
          break;
        case 'text':
          if (typeof value === 'string') expect([...value].length).toBeLessThanOrEqual(255);
          else expect(value).toEqual({ markdown: expect.any(Boolean), value: expect.any(String) });
          break;
        case 'date-time':
          expect(value).toMatch(dateTime);
          break;
        case 'label': {
          const label = value as { color: string; label: string };
          expect(Object.keys(label).sort()).toEqual(['color', 'label']);
          expect(colors).toContain(label.color);
          expect(label.label.length).toBeLessThanOrEqual(40);
          break;
        }
        case 'link': {
          if (typeof value === 'string') {
            expect(() => new URL(value)).not.toThrow();
            break;
          }
          const link = value as { label?: string; value: string; external: boolean };
          expect(() => new URL(link.value)).not.toThrow();
          expect(typeof link.external).toBe('boolean');
          expect(Object.keys(link).every((k) => ['label', 'value', 'external'].includes(k))).toBe(
            true,
          );
          break;
        }
        default:
          throw new Error(`unexpected field type ${type}`);
      }
    }
  }
  return data;
}

/** Pipedrive's panel error: a status above 300 and `{error: {title (≤ 30), subtitle?}}`. */
export function expectPipedrivePanelError(reply: { status: number; body: unknown }): void {
  expect(reply.status).toBeGreaterThan(300);
  expect(reply.body).toEqual({
    error: { title: expect.any(String), subtitle: expect.any(String) },
  });
  expect((reply.body as { error: { title: string } }).error.title.length).toBeLessThanOrEqual(30);
}
