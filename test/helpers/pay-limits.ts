/**
 * /pay's rate limits lifted, for tests about something else that click far more than a customer
 * would (a model of many customers, an outage squeezed into seconds).
 */
export const PAY_LIMITS_LIFTED = {
  PAY_RATE_LIMIT_PER_IP: '100000',
  PAY_RATE_LIMIT_PER_SHORTCODE: '100000',
  PAY_RATE_LIMIT_PER_INVOICE: '100000',
  PAY_UNKNOWN_PER_WINDOW: '100000',
  PAY_RATE_LIMIT_PER_CLIENT: '100000',
  PAY_UNKNOWN_PER_CLIENT: '100000',
  PAY_UNKNOWN_PER_NETWORK: '100000',
  PAY_UNKNOWN_PER_CLIENT_DAY: '100000',
  PAY_UNKNOWN_PER_NETWORK_DAY: '100000',
  PAY_UNKNOWN_XERO_PERCENT: '100',
} as const;

/**
 * For tests whose customers all click from the test's one address: more first clicks a minute than
 * PAY_UNKNOWN_PER_CLIENT and PAY_UNKNOWN_PER_NETWORK let one client, and its network, make at a
 * merchant (and more in a day than PAY_UNKNOWN_PER_CLIENT_DAY and PAY_UNKNOWN_PER_NETWORK_DAY) (pay-rate-limit.test.ts tests those limits).
 */
export const ONE_ADDRESS_MANY_CUSTOMERS = {
  PAY_UNKNOWN_PER_CLIENT: '0',
  PAY_UNKNOWN_PER_NETWORK: '0',
  PAY_UNKNOWN_PER_CLIENT_DAY: '0',
  PAY_UNKNOWN_PER_NETWORK_DAY: '0',
} as const;
