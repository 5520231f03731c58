import { describe, expect, it } from 'vitest';
import { benchGatewayPlan, controllerNeighbour, gatewayPlan, labMac } from './names.js';
import { topologyBatch } from './switch.js';

describe('the benchmark lab holds the controller as a permanent neighbour', () => {
  it('gives fl-ctl a fixed MAC in a benchmark-range lab only', () => {
    expect(topologyBatch(['fl-sw'], [], '/lab', undefined, true)).toContain(`link add fl-ctl address ${labMac('198.18.0.1')} type veth`);
    expect(topologyBatch(['fl-sw'], [], '/lab')).toMatch(/^link add fl-ctl type veth/m);
  });

  it('tells a benchmark gateway that MAC for 198.18.0.1, and a lab gateway nothing', () => {
    expect(controllerNeighbour(benchGatewayPlan(1000).wanIp)).toEqual({ ip: '198.18.0.1', mac: '02:f1:c6:12:00:01' });
    expect(controllerNeighbour(gatewayPlan(1).wanIp)).toBeUndefined();
  });
});
