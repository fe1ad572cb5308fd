import * as z from 'zod';

/** A message on the requests or retry queue: broadcast transaction `id`, as attempt number `attempt`. */
export const broadcastMessageSchema = z.object({
  id: z.string().min(1),
  attempt: z.number().int().min(1).default(1),
});
export type BroadcastMessage = z.infer<typeof broadcastMessageSchema>;

/** A message on the responses queue: the outcome of one broadcast attempt. */
export const responseMessageSchema = z.object({
  id: z.string().min(1),
  status: z.enum(['retrying', 'success', 'failed']),
  attempt: z.number().int().min(1),
  at: z.string(),
  message: z.string(),
  error: z.string().optional(),
  txHash: z.string().optional(),
  nextAttemptAt: z.string().optional(),
  filledBy: z.string().optional(),
});
export type ResponseMessage = z.infer<typeof responseMessageSchema>;
