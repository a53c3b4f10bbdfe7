/**
 * The largest (and smallest) numbers cnnp accepts anywhere: `cnnp check` reports a value outside
 * them at its place, and a queue worker refuses a payload outside them. One list, so a number that
 * passes check can neither fail later nor be smuggled past a worker.
 */
export const bounds = {
  /** Seeds are folded to 32 bits by the generator: above this, two seeds would be one stream. */
  seed: { min: 0, max: 4_294_967_295 },
  epochs: { min: 1, max: 10_000 },
  repeat: { min: 1, max: 1_000 },
  batch: { min: 1, max: 65_536 },
  /** A conv layer's feature maps (also `maps N`). */
  maps: { min: 1, max: 4_096 },
  /** A dense layer's units. */
  units: { min: 1, max: 65_536 },
  /** A kernel's or pool's side, and a stride. */
  window: { min: 1, max: 64 },
  learningRate: { min: Number.MIN_VALUE, max: 1_000 },
  evaluateEvery: { min: 0, max: 10_000 },
  patience: { min: 0, max: 10_000 },
  /** Values in one sweep, and configurations in one experiment. */
  sweepValues: 10_000,
  /** Candidates one search may try. */
  searchCandidates: 1_000,
  configurations: 100_000,
  /** Jobs (configurations x repeats) of all a pipeline's experiments together, before equal ones are merged. */
  pipelineJobs: 300_000,
  /** Parameters of one model, and the memory one job's training may need (bytes, estimated). */
  parameters: 100_000_000,
  jobMemoryBytes: 8 * 1024 ** 3,
  /** Images per split (train or test). */
  images: 10_000_000,
  /** An image side in pixels (folder data sets). */
  imageSide: 1_024,
  /** Characters in an experiment's title, and in one note. */
  titleLength: 200,
  noteLength: 20_000,
  /** Experiments nested inside one another. */
  nesting: 32,
} as const;
