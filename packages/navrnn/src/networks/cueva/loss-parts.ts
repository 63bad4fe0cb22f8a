/** The CuevaRNN's loss parts as metrics.jsonl fields. */

/**
 * mse, weight_cost and rate_cost as the loss has them, and rmse_cm: the root of the mean squared
 * distance (MSE averages both coordinates, so distance^2 = 2 MSE), in cm.
 */
export function lossParts(r: { mse: number; weightCost: number; rateCost: number }): Record<string, number> {
  return { mse: r.mse, weight_cost: r.weightCost, rate_cost: r.rateCost, rmse_cm: 100 * Math.sqrt(2 * r.mse) };
}
