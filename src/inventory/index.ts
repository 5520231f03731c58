/**
 * The inventory: which gateways exist, how to reach them, and the merged, validated variables each
 * one gets. See load.ts for the pipeline and merge.ts for the precedence.
 */
export type { Connection, Host, Inventory, InventoryGroup } from './types.js';
export { loadInventory, loadInventoryText, parseInventoryFile, inventoryHostVars, groupsOf, type LoadOptions } from './load.js';
export { selectHosts } from './limit.js';
export { maskSecrets, isSecretKey } from './mask.js';
export { inventoryList, inventoryGraph, groupEntries, hostVarsOf, toSortedJson } from './render.js';
export { hostVarsSchema, type HostVars, type Peer } from './schema.js';
