// Upgrade tests for the PostgreSQL store start from an older schema: a fresh
// test schema built by the released migration steps up to a version, then
// filled by the test with rows of that version's shape.
import pg from 'pg';
import { MIGRATIONS } from '../../server/store/postgres/migrations';
import { createTestSchema } from './isolation';

/**
 * A new schema at `version` (steps 1..version applied and recorded, as a
 * server of that version left it), filled by `seed` on a client whose
 * search_path is the schema. drop() removes it.
 */
export async function postgresSchemaAt(
  url: string,
  version: number,
  seed: (client: pg.Client) => Promise<void>,
): Promise<{ schema: string; drop: () => Promise<void> }> {
  const created = await createTestSchema(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET search_path TO ${created.schema}`);
    await client.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    for (const step of MIGRATIONS.filter((m) => m.version <= version)) {
      await client.query(step.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [step.version, step.name]);
    }
    await seed(client);
  } finally {
    await client.end();
  }
  return created;
}
