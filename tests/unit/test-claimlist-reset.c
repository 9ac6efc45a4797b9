/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The claim list's optional reset=METHOD[,METHOD...] field (issue 30): it round-trips
 * through claim_list_format() and claim_list_parse(), a line without it parses as before,
 * and a malformed value rejects the whole list with its line and column.
 */
#include <stdlib.h>

#include "claimproto/claimlist.h"
#include "claimlist-errs.h"
#include "tap.h"

static void rejected(const char *list, unsigned line, unsigned col, const char *msg)
{
	struct claim_list l = CLAIM_LIST_INIT;
	struct errs e;

	is_int(parse(list, &l, &e), -EBADMSG, "rejected: %s", msg);
	is_int(l.n_entries, 0, "rejected list has no entries (%s)", msg);
	is_int(e.n, 1, "one error (%s)", msg);
	is_int(e.line[0], line, "error line (%s)", msg);
	is_int(e.col[0], col, "error column (%s)", msg);
	is_str(e.msg[0], msg, "error message");
	claim_list_done(&l);
}

int main(void)
{
	struct claim_list l = CLAIM_LIST_INIT, back = CLAIM_LIST_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct errs e;
	struct claim_entry x = {.vendor = 0x1002, .device = 0x67df, .class = 0x030000};
	const char *good = "generation 4\n"
			   "0000:65:00.0 1002:67df 1462:3417 030000 reset=device_specific\n"
			   "0000:65:00.1 1002:aaf0 1462:aaf0 040300\n"
			   "0000:66:00.0 10de:1c03 1462:3285 030000 reset=flr,bus # comment\n"
			   "0000:67:00.0 10de:1c03 1462:3285 030000 reset=default\n";
	char why[128];
	size_t bad = 99;

	is_int(parse(good, &l, &e), 0, "a list with reset fields parses");
	is_int(e.n, 0, "no errors");
	is_int(l.n_entries, 4, "four devices");
	is_str(l.entries[0].reset_method, "device_specific", "one method");
	is_str(l.entries[1].reset_method, "", "a line without reset= has none");
	is_str(l.entries[2].reset_method, "flr bus", "two methods, space-separated for sysfs");
	is_str(l.entries[3].reset_method, "default", "default");
	is_int(l.entries[2].class, 0x030000, "the class before reset= still read");

	claim_list_format(&l, &sb);
	ok(strstr(sb.buf, "0000:66:00.0 10de:1c03 1462:3285 030000 reset=flr,bus\n") != NULL,
	   "format writes reset=flr,bus");
	ok(strstr(sb.buf, "0000:65:00.1 1002:aaf0 1462:aaf0 040300\n") != NULL,
	   "format writes a line without a method as before");
	is_int(parse(sb.buf, &back, &e), 0, "formatted list parses back");
	is_int(back.n_entries, 4, "same number of devices");
	for (size_t i = 0; i < back.n_entries; i++)
		is_str(back.entries[i].reset_method, l.entries[i].reset_method,
		       "round trip: reset method of entry %zu", i);
	claim_list_done(&back);
	claim_list_done(&l);
	strbuf_release(&sb);

	/* Added in code (the generator), formatted, read back. */
	pci_addr_parse("0000:0a:00.0", &x.addr);
	snprintf(x.reset_method, sizeof(x.reset_method), "pm bus");
	is_int(claim_list_add(&l, &x), 0, "add an entry with a method");
	claim_list_format(&l, &sb);
	is_int(parse(sb.buf, &back, &e), 0, "parses back");
	is_str(back.n_entries ? back.entries[0].reset_method : "", "pm bus", "pm bus round trip");
	claim_list_done(&back);
	claim_list_done(&l);
	strbuf_release(&sb);

	/* A list without any reset field: identical entries as before the extension. */
	is_int(parse("0000:65:00.0 10de:1c03 1462:3285 030000\n", &l, &e), 0, "old list parses");
	is_int(l.n_entries, 1, "one device");
	is_str(l.entries[0].reset_method, "", "no method");
	claim_list_done(&l);

	/* Malformed values: the whole list is rejected, at the offending name. */
	rejected("0000:65:00.0 10de:1c03 1462:3285 030000\n"
		 "0000:66:00.0 10de:1c03 1462:3285 030000 reset=flr,warm\n",
		 2, 51,
		 "invalid reset method: unknown method 'warm' (known: device_specific acpi flr "
		 "af_flr pm bus cxl_bus, or default alone)");
	rejected("0000:66:00.0 10de:1c03 1462:3285 030000 reset=\n", 1, 47,
		 "invalid reset method: empty");
	rejected("0000:66:00.0 10de:1c03 1462:3285 030000 reset=flr,,bus\n", 1, 51,
		 "invalid reset method: empty method name");
	rejected("0000:66:00.0 10de:1c03 1462:3285 030000 reset=flr,\n", 1, 51,
		 "invalid reset method: empty method name");
	rejected("0000:66:00.0 10de:1c03 1462:3285 030000 reset=bus,bus\n", 1, 51,
		 "invalid reset method: 'bus' named twice");
	rejected("0000:66:00.0 10de:1c03 1462:3285 030000 reset=flr,default\n", 1, 51,
		 "invalid reset method: 'default' must stand alone");
	rejected("0000:66:00.0 10de:1c03 1462:3285 030000 reset=FLR\n", 1, 47,
		 "invalid reset method: unknown method 'FLR' (known: device_specific acpi flr "
		 "af_flr pm bus cxl_bus, or default alone)");
	rejected("0000:66:00.0 10de:1c03 1462:3285 030000 flr\n", 1, 41,
		 "unknown field 'flr' (expected reset=METHOD[,METHOD...])");
	rejected("0000:66:00.0 10de:1c03 1462:3285 030000 reset=flr bus\n", 1, 51,
		 "expected 'ADDRESS VENDOR:DEVICE SUBVENDOR:SUBDEVICE CLASS', got 6 fields");
	rejected("0000:66:00.0 10de:1c03 1462:3285 030000 "
		 "reset=device_specific,device_specific,device_specific,device_specific,flr\n",
		 1, 47, "invalid reset method: longer than 63 bytes");

	/* The configuration's spelling: names separated by one space. */
	is_int(claim_reset_method_check("flr bus", 7, ' ', &bad, why, sizeof(why)), 0,
	       "space-separated check");
	is_int(claim_reset_method_check("flr warm", 8, ' ', &bad, why, sizeof(why)), -EINVAL,
	       "space-separated unknown name");
	is_int((int)bad, 4, "offset of the unknown name");
	return done_testing();
}
