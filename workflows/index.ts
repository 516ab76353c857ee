// Every workflow the worker serves; the bundler starts here.
export { labelMoveWorkflow } from './labelMove';
export { monitorPassWorkflow } from './monitorPass';
export { answerSamplingWorkflow } from './answerSampling';
export { judgeConfirmationWorkflow } from './judgeConfirmation';
export { usageReconciliationWorkflow } from './usageReconciliation';
export { incidentWorkflow } from './incident';
export { evalWorkflow } from './evalRun';
export { promotionWorkflow } from './promotion';
export { scheduledEvalWorkflow } from './scheduledEval';
export { rolloutWorkflow } from './rollout';
export { drillWorkflow } from './drill';
export { syntheticProbesWorkflow } from './syntheticProbes';
export { canaryWorkflow, weeklyCanaryWorkflow } from './canaries';
