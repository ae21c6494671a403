/* Nothing to compile: this target only declares LLVMFuzzerRunDriver (see the
   header). SwiftPM needs one source file in a C target. */
#include "CFuzzerDriver.h"
