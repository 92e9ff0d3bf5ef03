// The peers' generated configurations carry the settings that make the
// comparison fair (BENCHMARKS.md, "Fairness"); a missing peer says how to install it.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEND_QUEUE_BYTES, findPeer, inspircdConfig, ngircdConfig } from '../../../tests/bench/peers';

describe('peer configurations', () => {
  it('ngIRCd: no penalties, no connection, address or channel limits, no DNS, ident or PAM', () => {
    const conf = ngircdConfig({ port: 6667 });
    for (const line of [
      'Ports = 6667',
      'Listen = 127.0.0.1',
      'MaxPenaltyTime = 0',
      'MaxConnections = 0',
      'MaxConnectionsIP = 0',
      'MaxJoins = 0',
      'DNS = no',
      'Ident = no',
      'PAM = no',
    ]) {
      expect(conf).toContain(`\t${line}\n`);
    }
  });

  it('InspIRCd: fake lag off, flood limits out of reach, 16 MiB queues, a soft limit and backlog for the run', () => {
    const conf = inspircdConfig({ port: 6668, softlimit: 11_000, motdFile: '/tmp/motd' });
    expect(SEND_QUEUE_BYTES).toBe(16 * 1024 * 1024);
    for (const attr of [
      'fakelag="no"',
      'threshold="1000000000"',
      'commandrate="1000000000"',
      `hardsendq="${SEND_QUEUE_BYTES}"`,
      `softsendq="${SEND_QUEUE_BYTES}"`,
      `recvq="${SEND_QUEUE_BYTES}"`,
      'localmax="1000000"',
      'globalmax="1000000"',
      'limit="1000000"',
      'resolvehostnames="no"',
      'useident="no"',
      'softlimit="11000"',
      'somaxconn="4096"',
      'port="6668"',
    ]) {
      expect(conf).toContain(attr);
    }
  });

  it('a peer that is not installed is reported with how to install it', () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'no-peers-'));
    try {
      const ng = findPeer('ngircd', [empty]);
      const insp = findPeer('inspircd', [empty]);
      expect(ng).toMatchObject({ available: false });
      expect(insp).toMatchObject({ available: false });
      expect(!ng.available && ng.reason).toContain('apt-get install ngircd');
      expect(!insp.available && insp.reason).toContain('apt-get install inspircd');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
