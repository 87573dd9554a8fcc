// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title The cheat codes the Solidity tests use
/// @notice A minimal interface to the test runner's cheat-code contract, declared here so the tests
/// need no third-party test library. The runner serves it at `VM_ADDRESS`.
interface Vm {
    /// @notice Sets `block.timestamp`.
    function warp(uint256 newTimestamp) external;

    /// @notice Makes the next call come from `sender`.
    function prank(address sender) external;

    /// @notice Makes every following call come from `sender` until {stopPrank}.
    function startPrank(address sender) external;

    /// @notice Ends {startPrank}.
    function stopPrank() external;

    /// @notice Expects the next call to revert with exactly `revertData`.
    function expectRevert(bytes calldata revertData) external;

    /// @notice Expects the next call to revert with a custom error of selector `revertData`.
    function expectRevert(bytes4 revertData) external;

    /// @notice Discards the current fuzz input unless `condition` holds.
    function assume(bool condition) external;
}

/// @dev `address(uint160(uint256(keccak256("hevm cheat code"))))`.
address constant VM_ADDRESS = 0x7109709ECfa91a80626fF3989D68f67F5b1DD12D;
