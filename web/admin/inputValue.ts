/** The value of the input or select an event came from ('' for any other element). */
export function inputValue(event: Event): string {
  return event.currentTarget instanceof HTMLInputElement || event.currentTarget instanceof HTMLSelectElement
    ? event.currentTarget.value
    : '';
}
