# The generator's engines (config, planner, managed files, kmod resolution, diff) are unit
# tested directly: their tests link the sanitizer objects of src/gpt-bootcfg/ except main.c.
GEN_AOBJ := $(filter-out $(AOBJ)/gpt-bootcfg/main.o,$(ACLI_OBJ))
GEN_UNIT_SRC := $(sort $(wildcard tests/unit/test-config*.c tests/unit/test-planner*.c \
	tests/unit/test-bridge*.c))
GEN_UNIT_BIN := $(GEN_UNIT_SRC:tests/unit/%.c=$(BUILD)/asan/tests/%)

$(BUILD)/asan/libgen.a: $(GEN_AOBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

# A static pattern rule wins over the generic $(BUILD)/asan/tests/% rule.
$(GEN_UNIT_BIN): $(BUILD)/asan/tests/%: tests/unit/%.c $(BUILD)/asan/libgen.a $(BUILD)/asan/libshared.a
	@mkdir -p $(@D)
	$(if $(Q),@echo "  CCLD    $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(LIB_CFLAGS) -Itests/unit -Isrc/gpt-bootcfg -O1 -g $(SANITIZE) \
		-o $@ $< $(BUILD)/asan/libgen.a $(BUILD)/asan/libshared.a $(LIB_LIBS)
