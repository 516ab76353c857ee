export interface ProductionMove {
  to: string;
  rollback: boolean;
}

/**
 * The stack of production versions implied by the moves, oldest first: a normal move pushes,
 * a rollback returns to an earlier entry. So rolling back twice from 1.2 goes 1.1 then 1.0,
 * rather than bouncing between 1.2 and 1.1.
 */
export function productionStack(moves: ProductionMove[]): string[] {
  const stack: string[] = [];
  for (const move of moves) {
    const earlier = stack.lastIndexOf(move.to);
    if (move.rollback && earlier >= 0) stack.length = earlier + 1;
    else if (stack[stack.length - 1] !== move.to) stack.push(move.to);
  }
  return stack;
}

/** The version a plain `rollback` returns to, or undefined when production has no earlier version. */
export function rollbackTarget(moves: ProductionMove[]): string | undefined {
  const stack = productionStack(moves);
  return stack.length >= 2 ? stack[stack.length - 2] : undefined;
}
