/**
 * The permanent catalogue of cnnp diagnostics. A code never changes meaning once released;
 * retired codes are kept out of use. Each entry says what went wrong and what to do about it.
 */
export const codes = {
  E001: { title: "unexpected character", hint: "Remove it, or put text inside quotes." },
  E002: { title: "syntax error", hint: "See the README's language reference for the statement's form." },
  E003: { title: "unterminated text", hint: 'Close the text with the same quote that opened it (" or """).' },
  E101: { title: "unknown setting", hint: "See the README for the list of settings." },
  E102: {
    title: "unknown layer",
    hint: "Write one of the layer words the README's Layers section lists.",
  },
  E103: { title: "invalid value", hint: "See the README for the values this setting takes." },
  E104: { title: "value out of range", hint: "Use a value inside the allowed range." },
  E105: {
    title: "empty or reversed range",
    hint: "Write ranges low to high: [from..to] or [from..to step s] with s > 0.",
  },
  E106: {
    title: "sweep over something unused",
    hint: "Remove the sweep, or change the model so it uses what is swept.",
  },
  E107: { title: "undefined model", hint: "Define it first with `model NAME = layers...`." },
  E108: {
    title: "duplicate name",
    hint: "Give each model and experiment its own name, and each setting one value per block.",
  },
  E109: {
    title: "mask of the wrong length",
    hint: "A mask has one digit per feature layer (conv or pool) of the model.",
  },
  E110: {
    title: "invalid mask",
    hint: "A mask is made of 0 (drop the layer) and 1 (keep it), e.g. 1-0-1-1.",
  },
  E111: {
    title: "image shrinks below 1x1",
    hint: "Use fewer conv or pool layers, smaller kernels, or `padding=same`.",
  },
  E112: {
    title: "layer in the wrong place",
    hint: "Feature layers (conv, pool) come before flatten and dense layers.",
  },
  E113: {
    title: "output layer does not fit the data",
    hint: "End the model with a dense layer with one unit per class.",
  },
  E114: { title: "unknown sweep", hint: "Sweepable names are listed in the README." },
  E115: {
    title: "unknown metric",
    hint: "Metrics are test.*, train.*, val.* (loss, accuracy) and time.* (total, per_sample, per_epoch).",
  },
  E116: {
    title: "question about something not swept",
    hint: "`find` asks about a swept name: add the sweep or change the question.",
  },
  E117: { title: "insert position out of range", hint: "Positions count the base model's layers from 1." },
  E118: {
    title: "statement not allowed here",
    hint: "Experiments cannot nest; sweeps, questions and notes belong to an experiment.",
  },
  E119: {
    title: "too many jobs",
    hint: "Narrow the sweeps or the ranges; split the study into several experiments.",
  },
  E120: {
    title: "validation metric without validation data",
    hint: "Add `validation_split 0.1` (or another fraction) to the experiment.",
  },
  E121: { title: "invalid sweep values", hint: "Give each tuple one value per swept name." },
  E122: {
    title: "no model",
    hint: "Add `model NAME = layers...` (or `model layers...`) to the file or the experiment.",
  },
  E123: {
    title: "unknown baseline",
    hint: "Name a configuration the experiment's sweeps produce, e.g. `baseline maps 32`.",
  },
  E124: {
    title: "unknown experiment in a reference",
    hint: 'Name the experiment by its title or the number it starts with: `epochs from "6.2"`.',
  },
  E125: {
    title: "no answer of that kind",
    hint: "The experiment referred to needs a `find` question about the name the value is for.",
  },
  E126: {
    title: "experiments that wait on each other",
    hint: "An experiment cannot use an answer that depends on its own results.",
  },
  E127: {
    title: "reference outside an experiment",
    hint: "Only an experiment can use another experiment's answer.",
  },
  E128: {
    title: "invalid published figure",
    hint: "Write e.g. `expect test.accuracy 0.8835 for mask 1-0-1-1 n 1 sd 0.002` (n and sd optional).",
  },
  E129: {
    title: "more than one data set",
    hint: "A pipeline reads one data set: give the experiments on another one a pipeline of their own.",
  },
  E130: {
    title: "unusable image folder",
    hint: "A folder data set has one subfolder of PNG or JPEG images per class.",
  },
  E131: {
    title: "layer out of place",
    hint: "augment works on the input images: make it the model's first layer.",
  },
  E132: {
    title: "model too large for one job",
    hint: "Use fewer feature maps or dense units, pool before the dense layers, or a smaller batch or image size.",
  },
  E133: {
    title: "blocks nested too deeply",
    hint: "Experiments cannot nest: close each experiment's block with '}' before the next one begins.",
  },
  E134: {
    title: "text too long",
    hint: "Shorten it: a title names the experiment; split a long note into several.",
  },
  E135: {
    title: "note template does not parse",
    hint: "Live numbers are written {{best.label}}, {{#each rows}}...{{/each}}; for literal braces write \\{{.",
  },
  E136: {
    title: "unknown search strategy",
    hint: "A search is `search random N by METRIC` or `search tpe N by METRIC`.",
  },
  E137: {
    title: "bad number of candidates",
    hint: "A search tries a whole number of candidates, 2 or more: `search tpe 24 by val.accuracy`.",
  },
  E138: {
    title: "nothing to search",
    hint: "A search samples the experiment's sweeps: add `sweep learning_rate log [0.001..0.3]` or a list.",
  },
  E139: {
    title: "metric a search cannot use",
    hint: "Search by a metric the runs record: test.accuracy, or val.accuracy with validation_split.",
  },
  E140: {
    title: "bad scale",
    hint: "`log` samples a range above 0 on a log scale, and only inside a search.",
  },
  E141: {
    title: "sweep a search cannot sample",
    hint: "In a search, sweep one name per statement: a range [low..high] or a list of values.",
  },
  E201: { title: "cannot read file", hint: "Check the path and the file's permissions." },
} as const;

export type Code = keyof typeof codes;
