import { describe, expect, it } from 'vitest';
import { inotifyBudget, maxHostsForInotify, wireguardGoNeeded } from './inotify.js';

describe('the lab fits under the inotify cap', () => {
  it('counts one wireguard-go per gateway and two per gateway for clients', () => {
    expect(wireguardGoNeeded(50, false)).toBe(152);
    expect(wireguardGoNeeded(50, true)).toBe(50);
    // a WireGuard upstream: one more per gateway, and the provider's server
    expect(wireguardGoNeeded(50, false, false, true)).toBe(202);
  });

  it('gives the largest lab that fits beside what is already in use', () => {
    expect(maxHostsForInotify({ limit: 128, inUse: 2 }, false)).toBe(41);
    expect(maxHostsForInotify({ limit: 128, inUse: 2 }, true)).toBe(126);
    expect(maxHostsForInotify({ limit: 128, inUse: 2 }, false, false, true)).toBe(31);
    expect(maxHostsForInotify({ limit: 8, inUse: 20 }, true)).toBe(0);
  });

  it('reads the real limit and usage on Linux', () => {
    const b = inotifyBudget();
    expect(b?.limit).toBeGreaterThan(0);
    expect(b?.inUse).toBeGreaterThanOrEqual(0);
  });
});
