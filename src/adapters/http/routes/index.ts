import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../context.js';
import { channelRoutes } from './channels.js';
import { chatActionRoutes, chatRoutes } from './chats.js';
import { crmRoutes } from './crm.js';
import { eventRoutes } from './events.js';
import { inboundRoutes } from './inbound.js';
import { meRoutes } from './me.js';
import { integrationRoutes } from './integrations.js';
import { webhookRoutes } from './webhooks.js';
import { peopleRoutes } from './people.js';
import { pipedriveRoutes } from './pipedrive.js';
import { platformRoutes } from './platform.js';
import { routingRoutes } from './routing.js';
import { slackRoutes } from './slack.js';
import { teamAndRoleRoutes } from './teams-roles.js';
import { whatsappRoutes } from './whatsapp.js';
import { webRoutes } from './web.js';

/** Every route of shared/API.md that this server implements. */
export function registerApiRoutes(app: FastifyInstance, deps: HttpDeps): void {
  platformRoutes(app, deps);
  meRoutes(app, deps);
  peopleRoutes(app, deps);
  teamAndRoleRoutes(app, deps);
  channelRoutes(app, deps);
  inboundRoutes(app, deps);
  whatsappRoutes(app, deps);
  chatRoutes(app, deps);
  chatActionRoutes(app, deps);
  eventRoutes(app, deps);
  webhookRoutes(app, deps);
  routingRoutes(app, deps);
  integrationRoutes(app, deps);
  crmRoutes(app, deps);
  pipedriveRoutes(app, deps);
  webRoutes(app, deps);
  if (deps.slack) slackRoutes(app, deps.slack, () => deps.now());
}
