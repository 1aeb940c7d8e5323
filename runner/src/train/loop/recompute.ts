/**
 * Recomputation (gradient checkpointing) per ResNet block, `train.recompute: true`.
 *
 * The plain step runs the whole forward under `tf.variableGrads`, and tfjs keeps every recorded
 * kernel's saved tensors until the gradients are taken: all layer outputs of the network at once.
 * Here the model's graph is cut into segments (the stem, each `convN_blockM`, the head); the
 * forward runs segment by segment outside any tape, keeping only segment outputs, and the backward
 * walks the segments from the last: each one is run again under `tf.engine().gradients` from its
 * kept input with the output gradient `dy` of the segment after it, giving its variables' gradients
 * and the gradient of its input. Peak memory is then the kept block outputs plus one block's tape.
 *
 * Why not `tf.customGrad`: its gradient function runs inside the outer backward pass, and a nested
 * `gradients()` there resets the engine's one active tape (engine.ts `startTape`/`gradients` with
 * `gradientDepth` 0), which the outer pass then reads as null. Driving the segments from here needs
 * no nesting. The head is taped only once (it runs first in the backward pass), so its dropout
 * draws once; a recomputed block must not draw randomness (checked).
 *
 * BatchNorm in training mode updates its moving statistics on every call; the forward pass does
 * that once, as the plain path does, and each recomputation's update is undone so the statistics
 * end bit-identical to the plain path's.
 */
import * as tf from "../../tf";
import { isBatchNorm } from "../../model";

type Sym = tf.SymbolicTensor;

/** One layer application of the model's graph. */
interface Op {
  layer: tf.layers.Layer;
  inputs: Sym[];
  outputs: Sym[];
}

/** A run of layers recomputed as one: the stem, a ResNet block, or the head. */
export interface Segment {
  key: string;
  ops: Op[];
  /** Tensors read from outside the segment (model inputs or earlier segments' outputs). */
  inputs: Sym[];
  /** Tensors read by later segments, or the model's output. */
  outputs: Sym[];
}

const BLOCK = /^(conv[2-5]_block\d+)_/;

/**
 * The model's layer applications in topological order, found from its outputs through each
 * tensor's own node (not `inboundNodes[0]`), so a model that re-applies shared layers (the
 * activation cache's suffix, model-cut.ts) runs its own graph.
 */
function graphOps(model: tf.LayersModel): Op[] {
  const ops: Op[] = [];
  const seen = new Set<string>();
  const visit = (t: Sym): void => {
    const layer = t.sourceLayer as tf.layers.Layer;
    const key = `${layer.name}#${t.nodeIndex}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (layer.getClassName() === "InputLayer") return; // fed by the caller
    const node = layer.inboundNodes[t.nodeIndex]!;
    node.inputTensors.forEach(visit);
    ops.push({ layer, inputs: node.inputTensors, outputs: node.outputTensors });
  };
  model.outputs.forEach(visit);
  return ops;
}

const uniq = (ts: Sym[]) => [...new Map(ts.map((t) => [t.id, t])).values()];

/** The model's segments in order: layers named `convN_blockM_*` by block, before them `stem`, after `head`. */
export function segmentsOf(model: tf.LayersModel): Segment[] {
  const groups: { key: string; ops: Op[] }[] = [];
  let afterBlock = false;
  for (const op of graphOps(model)) {
    const block = BLOCK.exec(op.layer.name)?.[1];
    if (block) afterBlock = true;
    const key = block ?? (afterBlock ? "head" : "stem");
    const last = groups.at(-1);
    if (last?.key === key) {
      last.ops.push(op);
    } else if (groups.some((g) => g.key === key)) {
      throw new Error(`recompute: the layers of ${key} are not contiguous in ${model.name}'s graph`);
    } else {
      groups.push({ key, ops: [op] });
    }
  }
  const producer = new Map<number, number>();
  groups.forEach((g, i) => g.ops.forEach((op) => op.outputs.forEach((t) => producer.set(t.id, i))));
  const modelOutputs = new Set(model.outputs.map((t) => t.id));
  const readBy = (i: number) => new Set(groups[i]!.ops.flatMap((op) => op.inputs.map((t) => t.id)));
  return groups.map((g, i) => {
    const others = groups.map((_, j) => (j === i ? new Set<number>() : readBy(j)));
    return {
      ...g,
      inputs: uniq(g.ops.flatMap((op) => op.inputs).filter((t) => producer.get(t.id) !== i)),
      outputs: uniq(
        g.ops.flatMap((op) => op.outputs).filter((t) => modelOutputs.has(t.id) || others.some((s) => s.has(t.id))),
      ),
    };
  });
}

const segmentCache = new WeakMap<tf.LayersModel, Segment[]>();

/** Runs a segment's layers on concrete tensors; returns its outputs (call inside a tidy or tape). */
function runSegment(seg: Segment, feed: Map<number, tf.Tensor>, kwargs: { training: boolean }): tf.Tensor[] {
  const local = new Map<number, tf.Tensor>();
  const get = (t: Sym) => {
    const v = local.get(t.id) ?? feed.get(t.id);
    if (!v) throw new Error(`recompute: ${seg.key} reads ${t.name}, which was not computed`);
    return v;
  };
  for (const op of seg.ops) {
    const ins = op.inputs.map(get);
    const out = op.layer.apply(ins.length === 1 ? ins[0]! : ins, kwargs) as tf.Tensor | tf.Tensor[];
    (Array.isArray(out) ? out : [out]).forEach((t, i) => local.set(op.outputs[i]!.id, t));
  }
  return seg.outputs.map(get);
}

const RANDOM_LAYERS = /Dropout|Noise/;

/**
 * The gradients of `lossOf(model(x, training))` with respect to `varList`, as `tf.variableGrads`
 * gives them (`{ value, grads }` keyed by variable name; variables the loss does not reach are
 * left out), computed with per-segment recomputation. `x` stays the caller's.
 */
export function recomputedGrads(
  model: tf.LayersModel,
  x: tf.Tensor,
  lossOf: (logits: tf.Tensor) => tf.Scalar,
  varList: tf.Variable[],
): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error(`recompute: ${model.name} must have one input and one output`);
  }
  let segs = segmentCache.get(model);
  if (!segs) segmentCache.set(model, (segs = segmentsOf(model)));
  const last = segs.length - 1;
  const wanted = new Set(varList.map((v) => v.id));
  const segVars = segs.map((s) => [
    ...new Map(
      s.ops
        .flatMap((op) => op.layer.weights.map((w) => w.read() as tf.Variable))
        .filter((v) => wanted.has(v.id))
        .map((v) => [v.id, v]),
    ).values(),
  ]);
  // Segments before the first one with a variable to differentiate run forward only.
  const found = segVars.findIndex((v) => v.length > 0);
  const first = found < 0 ? last : found;
  const producer = new Map<number, number>();
  segs.forEach((s, i) => s.outputs.forEach((t) => producer.set(t.id, i)));
  const neededFrom = (t: Sym, after: number) => segs.some((s, j) => j > after && s.inputs.some((u) => u.id === t.id));

  const kwargs = { training: true };
  const values = new Map<number, tf.Tensor>([[model.inputs[0]!.id, x]]);
  const kept: tf.Tensor[] = [];
  const dys = new Map<number, tf.Tensor>();
  const accumulate = (map: Map<number | string, tf.Tensor>, key: number | string, g: tf.Tensor) => {
    const prev = map.get(key);
    map.set(key, prev ? tf.add(prev, g) : g);
    if (prev) {
      prev.dispose();
      g.dispose();
    }
  };
  try {
    for (let i = 0; i < last; i++) {
      const seg = segs[i]!;
      const outs = tf.tidy(() => runSegment(seg, values, kwargs));
      seg.outputs.forEach((t, k) => values.set(t.id, outs[k]!));
      kept.push(...outs);
      // A frozen prefix's outputs are dropped as soon as no later segment reads them.
      if (i < first) {
        for (const t of seg.inputs) if (producer.has(t.id) && !neededFrom(t, i)) values.get(t.id)?.dispose();
      }
    }
    let value: tf.Scalar | null = null;
    const varGrads = new Map<number | string, tf.Tensor>();
    for (let i = last; i >= first; i--) {
      const seg = segs[i]!;
      const ins = seg.inputs.filter((t) => (producer.get(t.id) ?? -1) >= first);
      const xs = [...ins.map((t) => values.get(t.id)!), ...segVars[i]!];
      let res: { value: tf.Tensor; grads: tf.Tensor[] };
      if (xs.length === 0) {
        // Nothing trains: the loss alone.
        value = tf.tidy(() => lossOf(runSegment(seg, values, kwargs)[0]!));
        continue;
      }
      if (i === last) {
        res = tf.engine().gradients(() => lossOf(runSegment(seg, values, kwargs)[0]!), xs, undefined, true);
        value = res.value as tf.Scalar;
      } else {
        const random = seg.ops.find((op) => RANDOM_LAYERS.test(op.layer.getClassName()));
        if (random) throw new Error(`recompute: ${random.layer.name} draws randomness and cannot be recomputed`);
        if (seg.outputs.length !== 1) throw new Error(`recompute: ${seg.key} has ${seg.outputs.length} outputs, not 1`);
        const dy = dys.get(seg.outputs[0]!.id);
        if (!dy) throw new Error(`recompute: no gradient reached the output of ${seg.key}`);
        const bn = seg.ops.filter((op) => isBatchNorm(op.layer)).flatMap((op) => op.layer.weights);
        const saved = bn.map((w) => w.read().clone());
        try {
          res = tf.engine().gradients(() => runSegment(seg, values, kwargs)[0]!, xs, dy, true);
        } finally {
          // Undo the second moving-statistics update of BatchNorm layers in training mode.
          bn.forEach((w, k) => w.write(saved[k]!));
          tf.dispose(saved);
        }
        res.value.dispose();
        dys.delete(seg.outputs[0]!.id);
        dy.dispose();
      }
      res.grads.forEach((g, k) => {
        if (!g) return;
        if (k < ins.length) accumulate(dys as Map<number | string, tf.Tensor>, ins[k]!.id, g);
        else accumulate(varGrads, segVars[i]![k - ins.length]!.name, g);
      });
    }
    return { value: value!, grads: Object.fromEntries(varGrads) };
  } finally {
    tf.dispose(kept);
    tf.dispose([...dys.values()]);
  }
}
