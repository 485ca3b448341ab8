export { OutboundFetchError, outboundFetch, type OutboundFetchOptions, type OutboundFetchReason, type OutboundResponse } from './outbound-fetch.js';
export { createAddressPolicy } from './address-policy.js';
