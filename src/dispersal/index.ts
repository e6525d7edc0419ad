// Public entry of the dispersal layer.
export { DispersalError, type DispersalErrorKind } from './errors.ts';
export { validateLocation, type Location, type LocationAttributes, type LocationKind } from './location.ts';
export { LocationHealth, defaultHealthOptions, type BreakerState, type HealthOptions, type HealthSnapshot } from './health.ts';
export { LocationRegistry, chooseReplacement, type LocationRuntime } from './registry.ts';
export {
  fragmentKey,
  locationOf,
  moveFragment,
  validateDispersalPolicy,
  type DispersalPolicy,
  type DispersedObject,
  type FragmentRef,
  type KeylessObject,
  type Placement,
  withoutKey,
} from './placement.ts';
export { writeObject, type WriteOptions, type WriteResult } from './writer.ts';
export { hedgedGather, readObject, type ReadOptions } from './reader.ts';
export { repairObject, type RepairOptions, type RepairReport } from './repair.ts';
export { scrub, type ScrubOptions, type ScrubSummary } from './scrub.ts';
export { evacuateObject, type EvacuateOptions, type EvacuationResult } from './evacuate.ts';
export { deleteObject } from './remove.ts';
