// My read-receipts setting, as the server keeps it (null until loaded after sign-in).
class ReceiptsState {
  on = $state<boolean | null>(null);
}

export const receipts = new ReceiptsState();
