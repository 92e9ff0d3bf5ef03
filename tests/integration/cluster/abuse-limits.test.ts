// The per-address sign-in budget on a cluster: each node keeps its own (it
// protects that node's hashing), as README's "Abuse limits" says, while the
// lockout per name is the cluster-wide guard (cluster.test.ts).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../helpers/cluster';
import { describeWithServices } from '../../helpers/services';
import { WsClient } from '../../helpers/ws-client';

await describeWithServices('Cluster: sign-in budgets are per node', ['postgres', 'redis'], () => {
  let cluster: Cluster;
  const clients: WsClient[] = [];
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 2, options: { signInBudgetPerAddress: 2 } });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.close();
  });

  /** One wrong-password sign-in for `name` (a different name each time, so no lockout interferes) on node `index`. */
  async function failedSignIn(index: number, name: string): Promise<string> {
    const client = await WsClient.connect(cluster.nodes[index]!.wsUrl);
    clients.push(client);
    return (await client.expectError({ type: 'login', username: name, password: 'wrong-password' })).code;
  }

  it('an address over its budget on one node is refused there, and still checked on another node', async () => {
    expect(await failedSignIn(0, 'ghost_1')).toBe('INVALID_CREDENTIALS');
    expect(await failedSignIn(0, 'ghost_2')).toBe('INVALID_CREDENTIALS');
    expect(await failedSignIn(0, 'ghost_3')).toBe('RATE_LIMITED');
    expect(await failedSignIn(1, 'ghost_4')).toBe('INVALID_CREDENTIALS');
    expect(await failedSignIn(1, 'ghost_5')).toBe('INVALID_CREDENTIALS');
    expect(await failedSignIn(1, 'ghost_6')).toBe('RATE_LIMITED');
  });
});
