// Every workflow the worker serves; the bundler starts here.
export { labelMoveWorkflow } from './labelMove';
