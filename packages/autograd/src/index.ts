export { Var, apply, backward, noGrad, isGradEnabled, lift, valueOf, type OpDef, type Value } from './var.js';
export * from './ops.js';
export { grad, valueAndGrad, vjp, jvp } from './transforms.js';
export { checkGrads, assertGrads, type CheckGradsOptions, type CheckGradsReport, type WorstCoordinate } from './check.js';
export { SGD, Adam, clipGradNorm, globalNorm, type Optimizer, type OptimizerState } from './optim.js';
export { HessianFree, conjugateGradient, type CurvatureSystem, type HessianFreeOptions, type HessianFreeState, type HessianFreeStep, type CgResult } from './hessian-free.js';
export { leastSquaresSystem, flatten, unflatten, type LeastSquaresSpec, type LeastSquaresTerm } from './gauss-newton.js';
