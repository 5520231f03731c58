/**
 * The inventory: which gateways exist, how to reach them, and the merged, validated variables each
 * one gets. See load.ts for the pipeline and merge.ts for the precedence.
 */
export type { Connection, Host, Inventory, InventoryGroup } from './types.js';
export {
  loadInventory,
  loadInventoryText,
  parseInventoryFile,
  readInventory,
  inventoryHostVars,
  extraVarsLayer,
  skeletonOf,
  groupsOf,
  type LoadOptions,
  type RawInventory,
} from './load.js';
export { isPassThrough } from './validate.js';
export { selectHosts } from './limit.js';
export { maskSecrets, isSecretKey } from './mask.js';
export { inventoryList, rawInventoryList, inventoryGraph, groupEntries, hostVarsOf, toSortedJson } from './render.js';
export { hostVarsSchema, type HostVars, type Peer } from './schema.js';
