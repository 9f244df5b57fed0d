import type { Attribution } from '../attribution/keys.js';
import { BudgetExceededError, BudgetStatusUnavailableError, type BudgetGateError } from './errors.js';
import { FallbackRegistry, type BudgetFallbackHandler } from './fallbacks.js';
import { readBudgetSettings, type BudgetGateSettings, type FailMode } from './settings.js';
import { BudgetStatusCache, type StatusCacheOptions } from './status-cache.js';
import { statusFetcher, type FetchStatus } from './status-client.js';

/** The model call being checked, as far as it is known before it leaves. */
export interface GatedCall {
  provider?: string;
  operation?: string;
  model?: string;
}

/** What the call path does: go ahead, fail with the error, call another model, or answer without the provider. */
export type BudgetDecision =
  | { action: 'proceed' }
  | { action: 'reject'; error: BudgetGateError }
  | { action: 'use-model'; model: string; error: BudgetGateError }
  | { action: 'respond'; response: unknown; error: BudgetGateError };

const PROCEED: BudgetDecision = Object.freeze({ action: 'proceed' });

export interface BudgetGateOptions {
  url: string;
  intervalMs: number;
  failMode: FailMode;
  timeoutMs: number;
  token?: string;
  /** Attribution every call of this process has unless it sets its own (the resource's `chargeback.*`). */
  defaults?: Attribution;
  fallbacks?: FallbackRegistry;
  /** Replaces the HTTP status request (tests). */
  fetchStatus?: FetchStatus;
  cache?: Pick<StatusCacheOptions, 'staleAfterMs' | 'idleAfterMs' | 'maxScopes' | 'now'>;
}

/**
 * Refuses model calls in scopes whose `block` budget is exhausted, before they reach the provider. The check
 * is synchronous and reads only the status cache, which refreshes in the background.
 */
export class BudgetGate {
  readonly cache: BudgetStatusCache;
  private readonly fallbacks: FallbackRegistry;

  constructor(private readonly options: BudgetGateOptions) {
    this.fallbacks = options.fallbacks ?? new FallbackRegistry();
    this.cache = new BudgetStatusCache({
      fetchStatus: options.fetchStatus ?? statusFetcher(options.url, options.timeoutMs, options.token),
      url: options.url,
      intervalMs: options.intervalMs,
      failMode: options.failMode,
      ...options.cache,
    });
  }

  check(attribution: Attribution, call: GatedCall = {}): BudgetDecision {
    const scope = this.options.defaults === undefined ? attribution : { ...this.options.defaults, ...attribution };
    const lookup = this.cache.lookup(scope);
    let error: BudgetGateError;
    if (lookup.state === 'blocked') error = new BudgetExceededError(lookup.budgets, lookup.scope);
    else if (lookup.state === 'unavailable' && this.options.failMode === 'closed') error = new BudgetStatusUnavailableError(this.options.url, lookup.reason);
    else return PROCEED;
    const fallback = this.fallbacks.resolve({ error, attribution: scope, provider: call.provider, operation: call.operation, model: call.model });
    if (fallback === undefined) return { action: 'reject', error };
    if ('model' in fallback) return { action: 'use-model', model: fallback.model, error };
    return { action: 'respond', response: fallback.response, error };
  }

  start(): void {
    this.cache.start();
  }

  stop(): void {
    this.cache.stop();
  }
}

/**
 * One gate and one fallback registry per process, kept on globalThis: the preload and the app may load this
 * package through different module instances (ESM import and CommonJS require), and both must share them.
 */
interface GlobalBudgetState {
  gate: BudgetGate | undefined;
  fallbacks: FallbackRegistry;
}

const GLOBAL_KEY = Symbol.for('@genai-chargeback/instrumentation/budget-gate');

function globalState(): GlobalBudgetState {
  const holder = globalThis as { [GLOBAL_KEY]?: GlobalBudgetState };
  holder[GLOBAL_KEY] ??= { gate: undefined, fallbacks: new FallbackRegistry() };
  return holder[GLOBAL_KEY];
}

/**
 * Starts the process's gate from `GENAI_CHARGEBACK_BUDGET_*` (or the settings given); no URL, no gate.
 * Bad settings are returned as problems for the caller to report.
 */
export function startBudgetGate(
  options: { settings?: BudgetGateSettings; defaults?: Attribution; env?: Record<string, string | undefined> } = {},
): { gate: BudgetGate | undefined; problems: string[] } {
  const { settings, problems } = options.settings === undefined ? readBudgetSettings(options.env) : { settings: options.settings, problems: [] };
  const state = globalState();
  state.gate?.stop();
  state.gate = undefined;
  if (settings.url === undefined) return { gate: undefined, problems };
  const gate = new BudgetGate({ ...settings, url: settings.url, defaults: options.defaults, fallbacks: state.fallbacks });
  gate.start();
  state.gate = gate;
  return { gate, problems };
}

export function stopBudgetGate(): void {
  const state = globalState();
  state.gate?.stop();
  state.gate = undefined;
}

/**
 * The call path's check (no I/O): every call proceeds when no gate runs. The attribution is asked for only
 * when a gate runs, so a process without one pays nothing per call.
 */
export function checkBudget(attribution: Attribution | (() => Attribution), call?: GatedCall): BudgetDecision {
  const gate = globalState().gate;
  if (gate === undefined) return PROCEED;
  return gate.check(typeof attribution === 'function' ? attribution() : attribution, call);
}

/**
 * Registers what to do instead of throwing when a call is refused: `{ model }` calls that model instead,
 * `{ response }` answers with that value without calling the provider. Returns a function that unregisters it.
 */
export function onBudgetExceeded(handler: BudgetFallbackHandler): () => void {
  return globalState().fallbacks.add(handler);
}
