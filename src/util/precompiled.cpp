// The translation unit that compiles util/precompiled.hpp once (the pw_pch target in
// CMakeLists.txt); every module reuses the result. It defines nothing.
#include "util/precompiled.hpp"
