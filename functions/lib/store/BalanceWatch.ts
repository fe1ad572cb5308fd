import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionalPut } from './conditionalWrite.ts';
import { getItems } from './getItems.ts';

/** The sweep's memory of which signers are below their chain's LOW_BALANCE_WEI, so it tells the operator once per fall. */
export type BalanceWatch = {
  /** Since when each of these (chain, signer) has been low, for those that are. */
  lowSince(signers: ReadonlyArray<{ chainId: number; address: string }>): Promise<Map<string, string>>;
  /** Marks one low from `since`: true when it was not marked (it has just fallen below), false when it was. */
  markLow(chainId: number, address: string, since: string): Promise<boolean>;
  /** Clears the mark of one that is no longer low. */
  clearLow(chainId: number, address: string): Promise<void>;
};

/** The key of a (chain, signer)'s mark; `lowKeyOf` names it in `lowSince`'s answer too. */
export const lowKeyOf = (chainId: number, address: string) => `lowbalance#${chainId}#${address.toLowerCase()}`;

export function createBalanceWatch(doc: DynamoDBDocumentClient, TableName: string): BalanceWatch {
  return {
    async lowSince(signers) {
      const items = await getItems(
        doc,
        TableName,
        signers.map((s) => ({ pk: lowKeyOf(s.chainId, s.address) })),
      );
      return new Map(items.map((item) => [String(item.pk), String(item.since)]));
    },
    markLow(chainId, address, since) {
      return conditionalPut(doc, {
        TableName,
        Item: { pk: lowKeyOf(chainId, address), since },
        ConditionExpression: 'attribute_not_exists(pk)', // -- one event per fall below
      });
    },
    async clearLow(chainId, address) {
      await doc.send(new DeleteCommand({ TableName, Key: { pk: lowKeyOf(chainId, address) } }));
    },
  };
}
