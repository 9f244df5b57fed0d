export { computeCost, selectRates, type Cost, type RateCard, type Rates, type RateTier, type TokenCounts } from './compute-cost.js';
export { PriceBookError } from './errors.js';
export { modelCandidates } from './model-id.js';
export {
  PriceBook,
  entryInForce,
  loadPriceBook,
  readBuiltinPriceBook,
  readPriceBookFile,
  type LoadedBookFile,
  type PriceEntry,
  type ProviderAliasRule,
  type ServiceTierCard,
} from './price-book.js';
export { parsePriceBookDocument, parsePriceBookText, type PriceBookFile } from './price-book-schema.js';
export {
  priceCall,
  priceCallWithDetails,
  priceForLedger,
  type CallPrice,
  type CallUsage,
  type PriceableCall,
  type PricingOutcome,
  type UnpricedReason,
} from './price-call.js';
export { nonStandardServiceTier, standardServiceTiers } from './service-tier.js';
