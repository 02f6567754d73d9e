import { DEFAULT_FEE_ACCOUNT_CODE, DEFAULT_SALES_ACCOUNT_CODE } from '../../store/merchants.js';

export const USAGE = `Usage: npm run cli -- <command>

  merchants add --name N --xero-client-id ID --xero-client-secret S --xendit-secret-key K
                --callback-token T --clearing-account-id A [--clearing-account CUR=ID ...]
      Secrets on the command line show in ps and shell history: instead give
      --xero-client-secret-env VAR, --xendit-secret-key-env VAR, --callback-token-env VAR
      (read from that environment variable), or --secrets-stdin with NAME=VALUE lines
      (xero-client-secret=..., xendit-secret-key=..., callback-token=...) on standard input.
                [--short-code C] [--fee-account-code CODE]
                [--fee-posting bank_transaction|manual_journal|off] [--overpayments]
                [--backend-flow] [--sales-account-code CODE] [--json]
      Adds a merchant on a Xero Custom Connection. Xero offers Custom Connections only to
      organisations in AU, NZ, UK and US; for any other country use the form below. Without --short-code the ShortCode is read
      from the Xero organisation. A Xero bank account has one currency: give one
      --clearing-account per extra invoice currency (A is used for the rest). Xendit's fee on
      each payment is posted as Spend Money from the clearing account to the expense account
      CODE (default ${DEFAULT_FEE_ACCOUNT_CODE}, "Bank Fees" in Xero's default charts); --fee-posting off
      leaves fees out of Xero; manual_journal posts them as a manual journal, which Xero allows only
      when the clearing account is not a bank account (an account with payments enabled).
      --overpayments records money paid beyond an invoice's amount due as a Xero overpayment
      (default: what fits is recorded and the rest waits in needs review). --backend-flow also records Xendit invoices paid that the gateway
      did not create (dashboard, payment links): contact + invoice on the revenue account CODE
      (default ${DEFAULT_SALES_ACCOUNT_CODE}, "Sales") + payment + fee. Prints the Custom Payment URL, the callback URL
      and the refund and dispute webhook URLs to set in Xendit's dashboard.
  merchants add --name N [--xendit-secret-key K --callback-token T] [--link-days D] [--json]
      (no --xero-client-id) For organisations outside AU, NZ, UK and US (Indonesia, the Philippines,
      Thailand, Vietnam, Malaysia…), which connect with Connect to Xero (needs XERO_CLIENT_ID and
      XERO_CLIENT_SECRET, the gateway's Xero app). Adds the merchant and prints a one-time connect
      link (valid D days, default 7, at most 30): one of the merchant's Xero users opens it, signs in
      at Xero and allows access. Only the link's hash is stored; it is shown once. The ShortCode comes
      from Xero; pick the clearing account (and the Xendit keys if not given) in the admin afterwards.
  merchants connect-link ID [--link-days D] [--json]
      A new connect link for an OAuth merchant (not connected yet, or to connect Xero again); the
      merchant's earlier unused links stop working.
  merchants list [--json]
  merchants disable ID
      Its payment links make no new payments; callbacks, refunds and withdrawals of payments
      already made are still recorded. One still onboarding stays off: its connect link stops
      working and finishing its setup does not make it active.
  merchants enable ID
      Undoes disable: active again when its setup is complete, else onboarding until it is.
  merchants fee-posting ID bank_transaction|manual_journal|off
  merchants xendit-fees ID deducted|invoiced
      How Xendit bills this merchant's fees. deducted (Xendit's default): kept from each payment,
      so each payment's fee and its VAT (read from the payment's transaction at Xendit) are posted.
      invoiced: Xendit bills fees separately (e.g. monthly); no per-payment fee is posted.
  merchants overpayments ID on|off
  merchants test-organisation ID on|off
      on: the merchant's Xero organisation is a test or demo company, so payments made with a
      Xendit test key (xnd_development_…) are recorded in it. off (default, except for Xero's Demo
      Company): test-mode payments are kept out of Xero, so test money never reaches real books.
  merchants other-movements ID CODE|off
      Books Xendit's other balance movements (payouts, transfers such as into the Billing Balance,
      top-ups, platform fees, cashback) from now on, each as Spend or Receive Money on the clearing
      account with its line on the account CODE of the merchant's Xero chart (a suspense account,
      say), so the clearing account stays equal to the Xendit balance. Off by default; nothing that
      moved before it was turned on is booked. Stop booking any of them by hand first.
  merchants xero-day-limit ID N|default
      A lower daily Xero call budget for this merchant's organisation, e.g. its share when another
      installation uses the same Xero app for it. Xero's own limit is the app's (its tier: 1 000 a
      day on Starter), set with XERO_LIMIT_PER_DAY and learned from Xero's answers when lower; the
      merchant's own Xero plan does not change it. XERO_PAYMENT_RESERVE_PERCENT of it is kept for
      recording payments.
  users invite --email E --merchant ID [--role owner|staff]
      A merchant user without a password and a one-time link (7 days) where they choose it. Owners
      may change keys, accounts, the Xero connection, settings and users; staff only read.
  users password-link E
      A one-time link (24 hours) for E to choose a new password (a new invite if they never set
      one); earlier links stop working, and their sessions end when it is used.
  users disable E
      E can no longer sign in; their sessions end now.
  users setup-link
      While no operator exists: a one-time link (24 hours) that creates the first one. Outside demo
      mode the gateway does not log one.
  report --merchant ID --from YYYY-MM-DD --to YYYY-MM-DD [--csv]
      Xendit's paid invoices against the merchant's clearing account in Xero, row by row:
      matched, missing_in_xero, missing_at_xendit, amount_differs, fee_missing, fee_differs,
      fee_tax_unknown (the VAT on Xendit's fee could not be read), not_from_xendit, refunded (a Xendit refund recorded as credit note and cash refund). Exit code 0 when reconciled, 1 when any row is flagged.
  reconcile --merchant ID [--since DATE] [--limit N] [--json]
      Asks Xendit now about the merchant's open checkouts (created since DATE, e.g. 2026-11-01):
      paid ones are queued for recording in Xero (the worker records them), expired ones closed.
  secrets reseal
      Seals every stored secret again with SECRETS_KEY (after a rotation: the old key in
      SECRETS_KEY_PREVIOUS), bound to its row and column, in one transaction; the old Xendit key
      in a queued retire-xendit-key job too. Exit code 1 if a value opens with no key.
  jobs list [--state queued|running|done|needs_review|handled] [--json]
  jobs replay ID
      Runs a needs_review or done job again (after fixing what it needed), with fresh attempts.
      A handled job (marked as handled by hand on the review page) is not run again.
  demo reset
      Demo mode only, with the gateway stopped (a running demo keeps its simulators in memory and
      would write them back; use the Reset demo button on its home page instead): forgets the
      simulators' saved state and every merchant onboarded in the demo; the next start seeds anew.

Uses the same environment as the server (DATABASE_URL, SECRETS_KEY, PUBLIC_URL, XERO_*, XENDIT_*).`;
