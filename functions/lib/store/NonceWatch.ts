import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { getItems } from './getItems.ts';

/** What the sweep last saw of one signer's mined nonce on one chain while it had nonces unmined. */
export type NonceSeen = { mined: number; since: string };

/**
 * The sweep's memory of each (chain, signer)'s mined nonce and since when it has not moved, so it can
 * tell a signer whose transactions stopped being mined. Its items carry no index attribute: in no index.
 */
export type NonceWatch = {
  /** What was last seen of each of these (chain, signer), for those with a mark; keyed by `nonceWatchKeyOf`. */
  seen(signers: ReadonlyArray<{ chainId: number; address: string }>): Promise<Map<string, NonceSeen>>;
  /** Marks one's mined nonce as seen unmoved from `since`. */
  mark(chainId: number, address: string, seen: NonceSeen): Promise<void>;
  /** Clears the mark of one with nothing unmined: its next lag is timed afresh. */
  clear(chainId: number, address: string): Promise<void>;
};

/** The key of a (chain, signer)'s mark; `seen` names its answer by it too. */
export const nonceWatchKeyOf = (chainId: number, address: string) => `noncewatch#${chainId}#${address.toLowerCase()}`;

export function createNonceWatch(doc: DynamoDBDocumentClient, TableName: string): NonceWatch {
  return {
    async seen(signers) {
      const items = await getItems(
        doc,
        TableName,
        signers.map((s) => ({ pk: nonceWatchKeyOf(s.chainId, s.address) })),
      );
      return new Map(items.map((item) => [String(item.pk), { mined: Number(item.mined), since: String(item.since) }]));
    },
    async mark(chainId, address, seen) {
      // Unconditional: the sweep's lease makes it the only writer of these marks.
      await doc.send(
        new PutCommand({
          TableName,
          Item: { pk: nonceWatchKeyOf(chainId, address), mined: seen.mined, since: seen.since },
        }),
      );
    },
    async clear(chainId, address) {
      await doc.send(new DeleteCommand({ TableName, Key: { pk: nonceWatchKeyOf(chainId, address) } }));
    },
  };
}
