import { z } from 'zod';

const probability = z.number().min(0).max(1);

export const profileSchema = z.strictObject({
  /** Time to first token: mean and spread in ms. */
  ttftMs: z.number().nonnegative().default(120),
  ttftSpreadMs: z.number().nonnegative().default(40),
  /** Time per output token after the first, in ms. */
  perTokenMs: z.number().nonnegative().default(8),
  perTokenSpreadMs: z.number().nonnegative().default(2),
  contextWindow: z.number().int().positive().default(128_000),
  /** Upper bound on output tokens when the request sets none. */
  maxOutputTokens: z.number().int().positive().default(512),
  errors: z
    .strictObject({
      rate_limit: probability.default(0),
      server: probability.default(0),
      overloaded: probability.default(0),
      stream_cut: probability.default(0),
      hang: probability.default(0),
    })
    .default({ rate_limit: 0, server: 0, overloaded: 0, stream_cut: 0, hang: 0 }),
  /** Probabilities of each kind of bad answer; all zero is a good model. */
  quality: z
    .strictObject({
      short: probability.default(0),
      off_context: probability.default(0),
      refusal: probability.default(0),
      broken_json: probability.default(0),
      hallucination: probability.default(0),
      /** Falls for the attack patterns src/simulator/jailbreaks.ts knows (the canary's catch). */
      jailbreak: probability.default(0),
    })
    .default({ short: 0, off_context: 0, refusal: 0, broken_json: 0, hallucination: 0, jailbreak: 0 }),
  /** How much repeated judge scores of the same output wander (uniform ± this). */
  judgeNoise: z.number().min(0).max(1).default(0.03),
  /** Seconds a 429 asks the client to wait. */
  retryAfterSeconds: z.number().nonnegative().default(1),
});

export type Profile = z.infer<typeof profileSchema>;
export type ProfileInput = z.input<typeof profileSchema>;

export const DEFAULT_PROFILE: Profile = profileSchema.parse({});

/** Profiles shipped with the simulator; any other model id gets DEFAULT_PROFILE. */
export const BUILTIN_PROFILES: Record<string, ProfileInput> = {
  'sim-large-2026-01-01': { ttftMs: 250, ttftSpreadMs: 80, perTokenMs: 12 },
  'sim-small-2026-01-01': { ttftMs: 90, ttftSpreadMs: 30, perTokenMs: 4 },
  'sim-degraded-2026-01-01': {
    ttftMs: 400,
    perTokenMs: 15,
    errors: { server: 0.05 },
    quality: { short: 0.3, off_context: 0.3, refusal: 0.15, broken_json: 0.3, hallucination: 0.3 },
  },
  // Falls for some known jailbreaks (the weekly canary's test model).
  'sim-gullible-2026-01-01': { quality: { jailbreak: 0.8 } },
  // Zero latency: used to measure the simulator itself and the gateway's overhead.
  'sim-instant': { ttftMs: 0, ttftSpreadMs: 0, perTokenMs: 0, perTokenSpreadMs: 0 },
};

export class ProfileBook {
  private readonly profiles = new Map<string, Profile>();

  constructor(initial: Record<string, ProfileInput> = BUILTIN_PROFILES) {
    for (const [model, input] of Object.entries(initial)) this.set(model, input);
  }

  get(model: string): Profile {
    return this.profiles.get(model) ?? this.profiles.get('default') ?? DEFAULT_PROFILE;
  }

  set(model: string, input: ProfileInput): Profile {
    const profile = profileSchema.parse(input);
    this.profiles.set(model, profile);
    return profile;
  }

  delete(model: string): boolean {
    return this.profiles.delete(model);
  }

  all(): Record<string, Profile> {
    return Object.fromEntries(this.profiles);
  }
}
