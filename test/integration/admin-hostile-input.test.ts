import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, page, signedIn, type Agent } from '../helpers/admin.js';
import { paths } from '../../app/paths.js';

/** What an attacker or a careless user types into admin URLs and forms: a 4xx or the form again, never a 500. */
describeEachDatabase('admin: hostile and careless input', ({ db }) => {
  let h: Harness;
  let ops: Agent;
  beforeEach(async () => {
    h = await createHarness(db());
    await clearAdminTables(db());
    await addUser(h.stores, 'ops@example.com', null, h.clock());
    await addUser(h.stores, 'a@toko.test', h.merchant.id, h.clock());
    ops = await signedIn(h.app, 'ops@example.com');
  });
  afterEach(() => h.close());

  // 36 characters of [0-9a-f-] that PostgreSQL does not read as a uuid.
  const NOT_UUIDS = ['000000000000000000000000000000000000', '------------------------------------', 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaa-'];

  it('an id that only looks like a uuid is an unknown id: sign-in for strangers, 404 for users, never a 500', async () => {
    for (const id of NOT_UUIDS) {
      await request(h.app).get(`/admin/merchants/${id}`).expect(303).expect('location', paths.adminLogin);
      await request(h.app).get(`/admin/merchants/${id}/xendit`).expect(303).expect('location', paths.adminLogin);
      await ops.get(`/admin/merchants/${id}`).expect(404);
      const form = await page(ops, paths.adminUsers);
      for (const action of [paths.adminUserDisable, paths.adminUserPasswordLink]) {
        await ops.post(action.replace(':userId', id)).type('form').send({ _csrf: form.csrf(), confirm: 'yes' }).expect(404);
      }
      await request(h.app).post(`/callbacks/xendit/${id}`).set('x-callback-token', 'x').send({}).expect(404);
      await request(h.app).post(`/callbacks/xendit/${id}/refunds`).set('x-callback-token', 'x').send({}).expect(404);
      await request(h.app).get(`${paths.payReturn}?ref=${id}`).expect(200);
    }
    // A merchant user is pinned to their own merchant whatever the URL says.
    const merchantUser = await signedIn(h.app, 'a@toko.test');
    await merchantUser.get(`/admin/merchants/${NOT_UUIDS[0]}`).expect(404);
  });
});
