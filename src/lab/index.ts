/** The lab's public API (README.md, "The lab"). */
export { labUp, type UpOptions } from './up.js';
export { labDown, type DownReport } from './down.js';
export { labStatus, labProblems, formatStatus } from './status.js';
export { connectClients, type ConnectResult } from './clients.js';
export { rebootGateway } from './reboot.js';
export { gatewayExec, clientExec, snapshotGateway, findGateway, findClient, type ExecOptions } from './exec.js';
export { preflight, assertPreflight, installCommand } from './preflight.js';
export { stateDir, inventoryPath, type LabState, type LabGateway, type LabClient, type LabProvider, type LabInternet } from './state.js';
export { LabError, LabPrereqError, LabBusyError } from './errors.js';
