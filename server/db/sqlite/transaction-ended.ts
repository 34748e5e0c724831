/** A statement sent through a transaction that has ended: it was not run. */
export class TransactionEndedError extends Error {
  override name = "TransactionEndedError";
  constructor() {
    super("the transaction has ended: its statement was not run");
  }
}
