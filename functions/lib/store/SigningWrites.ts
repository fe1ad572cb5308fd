import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type CancelRequest, type SignatureKind, type Transaction, transactionSchema } from '../transactions/model.ts';
import { conditionalUpdate } from './conditionalWrite.ts';
import { senderKeyOf } from './tableDesign.ts';
import { isOpen, openStatusValues, txKey, waitingAttributes } from './transactionKeys.ts';

/** What signing stores on a transaction, once: the sender, its nonce, the signed bytes and their hash. */
export type SignedRecord = {
  chainId: number;
  from: string;
  nonce: number;
  rawTx: string;
  txHash: string;
  gas: string;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
};

/** The broadcaster's writes: the claim to sign a transaction, the nonce it takes, and the bytes it signs. */
export type SigningWrites = {
  /** Takes the claim to sign an open, never signed transaction; undefined when another worker holds it, or it is signed or closed. */
  claimForSigning(id: string, lease: { token: string; until: number }, now: number): Promise<Transaction | undefined>;
  /** Stores the signature under the claim `token`; false when the claim was lost or the transaction was signed already. */
  saveSignature(id: string, token: string, signed: SignedRecord, now: Date): Promise<boolean>;
  /** Lets a claim go, so the next attempt need not wait for its lease to run out. */
  releaseClaim(id: string, token: string): Promise<void>;
  /** Keeps a nonce taken for a transaction whose signing failed, so the next attempt signs with it. */
  reserveNonce(
    id: string,
    token: string,
    reservation: { chainId: number; from: string; nonce: number },
  ): Promise<boolean>;
  /**
   * Stores the signer chosen for a transaction under the claim `token`, before a nonce is taken for it:
   * false when the claim was lost or it has a sender already (the first choice stays, whatever comes later).
   */
  assignSigner(id: string, token: string, from: string): Promise<boolean>;
  /**
   * Lets go of the signer chosen for a transaction under the claim `token` while no nonce was taken for
   * it (the signer turned out full): true once it has none, false when the claim was lost.
   */
  unassignSigner(id: string, token: string, from: string): Promise<boolean>;
  /**
   * Puts a transaction no signer can take now in its chain's waiting line (the `waiting` index), with
   * the reason as its message, and lets the claim go: nothing holds a worker while it waits. It becomes
   * due for the sweep at `dueAt`, in case no wake reaches it. False when the claim was lost.
   */
  park(
    id: string,
    token: string,
    wait: { chainId: number; reason: string; since?: string | undefined },
    now: Date,
    dueAt: number,
  ): Promise<boolean>;
  /** Fences a transaction that failed before it was signed: no worker may sign it afterwards. */
  closeUnsigned(id: string, token: string, reason: string): Promise<boolean>;
  /**
   * Stores a replacement for the same nonce (a re-price or a cancel) as the latest signature, when the
   * record still holds `count` signatures and it is not yet mined: false when another replaced it first.
   */
  saveReplacement(id: string, count: number, replacement: ReplacementRecord, now: Date): Promise<boolean>;
};

/** A replacement signature: its bytes and hash, its fees, and what it is. */
export type ReplacementRecord = {
  rawTx: string;
  txHash: string;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
  kind: Exclude<SignatureKind, 'original'>;
  /** With a cancel: who asked, and when, unless the record holds it already. */
  cancel?: CancelRequest;
};

/** The values that put a transaction in its sender's `bySender` partition at `nonce`, under the claim `token`. */
function nonceValues(held: { chainId: number; from: string; nonce: number }, token: string) {
  return {
    ':from': held.from,
    ':nonce': held.nonce,
    ':sender': senderKeyOf(held.chainId, held.from),
    ':token': token,
  };
}

/** The broadcaster's writes of transactions, each one conditional update fenced by the signing claim. */
export function createSigningWrites(doc: DynamoDBDocumentClient, TableName: string): SigningWrites {
  return {
    async claimForSigning(id, lease, now) {
      const item = await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        UpdateExpression: 'SET leaseToken = :token, leaseUntil = :until',
        ConditionExpression: [
          'attribute_exists(pk)',
          'attribute_not_exists(rawTx)', // -- a transaction is signed once
          'attribute_not_exists(signingClosed)', // -- one that failed unsigned is never signed later
          isOpen, // -- terminal transactions are left alone
          '(attribute_not_exists(leaseUntil) OR leaseUntil < :now)', // -- one signer at a time
        ].join(' AND '),
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':token': lease.token, ':until': lease.until, ':now': now, ...openStatusValues },
        ReturnValues: 'ALL_NEW',
      });
      return item ? transactionSchema.parse(item) : undefined;
    },

    async saveSignature(id, token, signed, now) {
      const item = await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        UpdateExpression: `SET #from = :from, nonce = :nonce, rawTx = :raw, txHash = :hash, gas = :gas, signedAt = :at, senderKey = :sender, hashes = list_append(if_not_exists(hashes, :none), :signature) REMOVE ${waitingAttributes}`,
        ConditionExpression: [
          'attribute_not_exists(rawTx)', // -- a transaction is signed once
          'attribute_not_exists(signingClosed)', // -- a cancel that came while it was being signed wins
          'leaseToken = :token', // -- only the worker that claimed it may sign it
          'leaseUntil > :now', // -- an expired claim's nonce is left for the gap filler
          isOpen, // -- a terminal transaction is never signed
          '(attribute_not_exists(nonce) OR nonce = :nonce)', // -- a reserved nonce is the one signed with
          '(attribute_not_exists(#from) OR #from = :from)', // -- the signer chosen (or named) is the one that signs
        ].join(' AND '),
        ExpressionAttributeNames: { '#from': 'from', '#status': 'status' },
        ExpressionAttributeValues: {
          ...openStatusValues,
          ...nonceValues(signed, token),
          ':raw': signed.rawTx,
          ':hash': signed.txHash,
          ':gas': signed.gas,
          ':at': now.toISOString(),
          ':none': [],
          ':signature': [
            {
              txHash: signed.txHash,
              maxFeePerGas: signed.maxFeePerGas,
              maxPriorityFeePerGas: signed.maxPriorityFeePerGas,
              signedAt: now.toISOString(),
            },
          ],
          ':now': now.getTime(),
        },
      });
      return item !== undefined;
    },

    async reserveNonce(id, token, reservation) {
      const item = await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        UpdateExpression: 'SET nonce = :nonce, #from = :from, senderKey = :sender',
        ConditionExpression: [
          'leaseToken = :token', // -- only the worker that took the nonce for it
          'attribute_not_exists(nonce)', // -- a transaction holds one nonce, ever
        ].join(' AND '),
        ExpressionAttributeNames: { '#from': 'from' },
        ExpressionAttributeValues: nonceValues(reservation, token),
      });
      return item !== undefined;
    },

    async assignSigner(id, token, from) {
      const item = await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        UpdateExpression: 'SET #from = :from',
        ConditionExpression: [
          'leaseToken = :token', // -- only the worker that holds the claim chooses
          'attribute_not_exists(#from)', // -- chosen once: a retry, a sweep or a restart never chooses again
        ].join(' AND '),
        ExpressionAttributeNames: { '#from': 'from' },
        ExpressionAttributeValues: { ':from': from, ':token': token },
      });
      return item !== undefined;
    },

    async unassignSigner(id, token, from) {
      const item = await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        UpdateExpression: 'REMOVE #from',
        ConditionExpression: [
          'leaseToken = :token', // -- only the worker that chose it
          'attribute_not_exists(nonce)', // -- no nonce was taken for it: nothing belongs to that sender yet
          '(attribute_not_exists(#from) OR #from = :from)', // -- the choice let go is this one
        ].join(' AND '),
        ExpressionAttributeNames: { '#from': 'from' },
        ExpressionAttributeValues: { ':from': from, ':token': token },
      });
      return item !== undefined;
    },

    async park(id, token, wait, now, dueAt) {
      const item = await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        UpdateExpression:
          // One that waited before keeps its place in the line (waitSince) and the time it began to wait.
          // What it tried before it waited is not counted against the pre-send budget of what comes after.
          'SET #message = :reason, waiting = :waiting, waitChain = :chain, waitSince = if_not_exists(waitSince, :since), dueAt = :due REMOVE leaseToken, leaseUntil, unsentSince',
        ConditionExpression: [
          'leaseToken = :token', // -- we hold the claim: nobody signs it meanwhile
          'attribute_not_exists(rawTx)', // -- only an unsigned one waits for a signer
          'attribute_not_exists(signingClosed)', // -- a cancel that came meanwhile wins
        ].join(' AND '),
        ExpressionAttributeNames: { '#message': 'message' },
        ExpressionAttributeValues: {
          ':reason': wait.reason,
          ':waiting': { since: wait.since ?? now.toISOString(), reason: wait.reason },
          ':chain': String(wait.chainId),
          ':since': now.getTime(),
          ':due': dueAt,
          ':token': token,
        },
      });
      return item !== undefined;
    },

    async closeUnsigned(id, token, reason) {
      const item = await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        UpdateExpression: `SET signingClosed = :reason REMOVE leaseToken, leaseUntil, ${waitingAttributes}`,
        ConditionExpression: [
          'leaseToken = :token', // -- we hold the claim, so nobody is signing it
          'attribute_not_exists(rawTx)', // -- nothing was signed that could still land
        ].join(' AND '),
        ExpressionAttributeValues: { ':reason': reason, ':token': token },
      });
      return item !== undefined;
    },

    async saveReplacement(id, count, replacement, now) {
      const at = now.toISOString();
      const item = await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        // The latest signature keeps its own bytes in its entry as the record's move on to the new one (an
        // index past the end appends; `list_append` would overlap the path of the entry's bytes).
        UpdateExpression: `SET rawTx = :raw, txHash = :hash, hashes[${count - 1}].rawTx = rawTx, hashes[${count}] = :signature${replacement.cancel ? ', cancel = if_not_exists(cancel, :cancel)' : ''}`,
        ConditionExpression: [
          'attribute_exists(rawTx)', // -- only a signed transaction has a nonce to replace
          'size(hashes) = :count', // -- the latest signature is still the one this replaces
          '#status IN (:pending, :retrying, :success)', // -- not yet in a block, not terminal
        ].join(' AND '),
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ...openStatusValues,
          ':success': 'success',
          ':raw': replacement.rawTx,
          ':hash': replacement.txHash,
          ':count': count,
          ':signature': {
            txHash: replacement.txHash,
            maxFeePerGas: replacement.maxFeePerGas,
            maxPriorityFeePerGas: replacement.maxPriorityFeePerGas,
            signedAt: at,
            kind: replacement.kind,
          },
          ...(replacement.cancel ? { ':cancel': replacement.cancel } : {}),
        },
      });
      return item !== undefined;
    },

    async releaseClaim(id, token) {
      await conditionalUpdate(doc, {
        TableName,
        Key: txKey(id),
        UpdateExpression: 'REMOVE leaseToken, leaseUntil',
        ConditionExpression: 'leaseToken = :token', // -- only our own claim
        ExpressionAttributeValues: { ':token': token },
      });
    },
  };
}
