// The suite's files split across `npm test`'s shards (scripts/test.cjs) by how long each
// takes (test/durations.json, seconds measured on a CI run; a file not listed counts as
// DEFAULT), heaviest first to the least loaded shard, so the shards end together. Jest's
// own split hashes paths, which put two-thirds of the time on one shard.
const { join, relative } = require("node:path");
const Sequencer = require("@jest/test-sequencer").default;
const durations = require("../durations.json");

const DEFAULT = 20;
const ROOT = join(__dirname, "..", "..");

/** A file's key in durations.json: its path, prefixed by its project unless that is the first (cdktf). */
function keyOf(test) {
  const path = relative(ROOT, test.path);
  const project = test.context.config.displayName?.name;
  return project && project !== "cdktf" ? `${project}:${path}` : path;
}
const weight = (test) => durations[keyOf(test)] ?? DEFAULT;

class WeightedSequencer extends Sequencer {
  shard(tests, { shardIndex, shardCount }) {
    const loads = new Array(shardCount).fill(0);
    const owner = new Map();
    const order = [...tests].sort((a, b) => weight(b) - weight(a) || keyOf(a).localeCompare(keyOf(b)));
    for (const t of order) {
      const k = loads.indexOf(Math.min(...loads));
      loads[k] += weight(t);
      owner.set(t, k);
    }
    return tests.filter((t) => owner.get(t) === shardIndex - 1);
  }
}

module.exports = WeightedSequencer;
