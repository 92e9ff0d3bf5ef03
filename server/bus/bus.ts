// The Bus connects server nodes: who is signed in where (one session per user,
// cluster-wide), and events that must reach users on other nodes. One node uses
// LocalBus; a cluster uses RedisBus. Nothing here knows about sockets or commands.
//
// Guarantees:
// - claimSession MUST be atomic across all nodes: of two concurrent claims for
//   one user, exactly one resolves true.
// - A claim held by a node that stops heartbeating MUST expire within
//   `sessionTtlMs` so its users can sign in elsewhere.
// - publish() is best effort: a lost bus event never loses a message, because
//   every delivery is in the store first and clients resume from it.
// - Events published by a node are not handed back to that node's subscriber.

import type { ChatMessage, MessageChangeEvent } from '../protocol';

export type BusEvent =
  /**
   * A stored message for users who may be signed in on another node: `users`,
   * or (null) everyone signed in there; never those in `skip`, nor the sender.
   */
  | { kind: 'deliver'; message: ChatMessage; users: string[] | null; skip: string[] }
  /**
   * `user` came online or went offline. `to`: the users related to them (group
   * co-members, direct peers) as the announcing node found them; missing when
   * the node that held the session died (receivers look them up).
   */
  | { kind: 'presence'; user: string; online: boolean; at: number; to?: string[] }
  /** Group membership changed; `notify` are the users to tell. */
  | {
      kind: 'group';
      name: string;
      change: 'created' | 'added' | 'removed' | 'left' | 'deleted';
      actor: string;
      members: string[];
      notify: string[];
    }
  /** A typing notice (never stored) for users signed in on other nodes. */
  | { kind: 'typing'; from: string; group?: string; to: string[] }
  /** `user` changed their profile; every node tells its sessions (avatar: a file id, signed by each node). */
  | { kind: 'profile'; user: string; displayName: string | null; avatar: string | null }
  /** A stored message was edited, deleted or reacted to: the event for `users` (null: everyone) signed in elsewhere, but `skip`. */
  | { kind: 'message-change'; event: MessageChangeEvent; users: string[] | null; skip: string[] }
  /** Someone blocked or unblocked; nodes drop cached block lists for `user` (null: for everyone, after a node's bus was interrupted). */
  | { kind: 'blocks-changed'; user: string | null }
  /** A read receipt (`by` read `with`, a user or a group, up to `messageId`) for users signed in on other nodes. */
  | { kind: 'read'; by: string; with: string; group: boolean; messageId: number; to: string[] };

export interface Bus {
  /** This node's id (random per process). */
  readonly nodeId: string;
  /**
   * True when no other node exists: every message is saved and routed by this
   * process, in stream order, so live deliveries arrive in order. False in a
   * cluster, where sessions confirm the order from the store.
   */
  readonly singleNode: boolean;
  start(): Promise<void>;
  /** Releases this node's claims and stops. */
  close(): Promise<void>;
  /** Resolves when the bus answers right now (readiness checks); rejects with the reason otherwise. */
  ping(): Promise<void>;

  /** Claims the single session of `username` for this node. Resolves false if held anywhere. */
  claimSession(username: string): Promise<boolean>;
  /** Releases this node's claim (no-op when not held by this node). */
  releaseSession(username: string): Promise<void>;
  /** Users with a live session on any node, sorted by name. */
  onlineUsers(): Promise<string[]>;
  isOnline(username: string): Promise<boolean>;

  /** Sends an event to every other node. */
  publish(event: BusEvent): Promise<void>;
  /** Registers the handler for events from other nodes (one handler). */
  subscribe(handler: (event: BusEvent) => void): void;
  /**
   * Registers the handler called when this node finds that another node now holds
   * a session it thought it held (it stalled past the claim's TTL). The node MUST
   * then end its own session for that user, so there is never more than one.
   */
  onClaimLost(handler: (username: string) => void): void;
  /**
   * Registers the handler called when this node's subscription to the other
   * nodes' events is back after a break (Redis restarted or unreachable for a
   * while). Events published meanwhile are lost; the node MUST re-read from
   * the store what they carried, so signed-in users get the messages stored
   * in the break without waiting for their next delivery.
   */
  onResubscribed(handler: () => void): void;
}
