// The groups I am in, keyed by name, kept current by `grouplist` replies,
// group command results and `group` events.
import type { GroupInfo } from '../../../server/protocol';

class GroupsState {
  byName = $state<Record<string, GroupInfo>>({});
  list = $derived(Object.values(this.byName).sort((a, b) => a.name.localeCompare(b.name)));

  setAll(groups: GroupInfo[]): void {
    this.byName = Object.fromEntries(groups.map((g) => [g.name, g]));
  }

  upsert(group: GroupInfo): void {
    this.byName[group.name] = group;
  }

  remove(name: string): void {
    delete this.byName[name];
  }

  reset(): void {
    this.byName = {};
  }
}

export const groups = new GroupsState();
