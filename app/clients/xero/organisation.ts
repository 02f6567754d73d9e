/** The organisation behind a connection (Organisation). */
import type { XeroCalls } from './call.js';
import { mapOrganisation } from './mappers.js';
import type { XeroGateway } from './types.js';

export function organisationCalls({ call }: XeroCalls): Pick<XeroGateway, 'getOrganisation'> {
  return {
    async getOrganisation(creds) {
      const res = await call(creds, 'getOrganisation', (api) => api.getOrganisations(creds.tenantId));
      return mapOrganisation(res.body.organisations?.[0]);
    },
  };
}
